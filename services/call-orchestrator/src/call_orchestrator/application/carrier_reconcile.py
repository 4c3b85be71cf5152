"""Live attempts whose status callbacks stopped coming are looked up at the carrier.

Twilio posts each status callback once and never retries it: if our webhook answered
5xx (a deploy, a database hiccup) or the request was lost on the way, an attempt stays
``placed`` or ``connected`` for ever and its request stays ``calling``. So an attempt
with no news past the deadline of its state is asked about (Twilio's call fetch), and
what the carrier says is applied through the very code a callback goes through
(``apply_carrier_status``): the same effects, the same events, the same retry or wait for
the conversation's report, and no second effect if the callback did arrive meanwhile
(the attempt's state decides, under its job's lock).

Network calls to the carrier run outside any transaction. The check is claimed first
(``carrier_checked_at``), so replicas do not both ask, and a crash mid-check only means
the question is asked again one deadline later.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from ringbook.logging import correlation, get_logger

from call_orchestrator.application.carrier_status import UnknownAttempt, apply_carrier_status
from call_orchestrator.application.context import Orchestration
from call_orchestrator.application.ports import UnitOfWork
from call_orchestrator.application.telephony import (
    CallNotFound,
    CallRejected,
    TelephonyUnavailable,
)
from call_orchestrator.domain.attempts import Attempt

log = get_logger(__name__)
# What a sid the carrier does not know (any more) amounts to: nobody is on that line.
_NO_SUCH_CALL = "failed"


@dataclass(frozen=True)
class CarrierChecks:
    """How long a live attempt may go without news before the carrier is asked."""

    # Ringing (placed): longer than the carrier rings before it gives up.
    placed_after: timedelta = timedelta(seconds=120)
    # Answered (connected): longer than a conversation should last; asked again every
    # so long while the carrier says the call goes on.
    connected_after: timedelta = timedelta(seconds=900)


async def check_with_carrier(uow: UnitOfWork, ctx: Orchestration, checks: CarrierChecks,
                             now: datetime, limit: int = 20) -> int:
    """Ask the carrier about every overdue live attempt; returns how many were asked."""
    async with uow.transaction() as tx:
        overdue = await tx.attempts.claim_carrier_checks(
            now, placed_before=now - checks.placed_after,
            connected_before=now - checks.connected_after, limit=limit)
    outcomes = await asyncio.gather(*(_check(uow, ctx, a) for a in overdue),
                                    return_exceptions=True)
    for attempt, outcome in zip(overdue, outcomes, strict=True):
        if isinstance(outcome, Exception):
            # Asked again one deadline later; the other checks went on.
            log.warning("carrier_check_failed", attempt_id=str(attempt.id),
                        error=repr(outcome))
    return len(overdue)


async def _check(uow: UnitOfWork, ctx: Orchestration, attempt: Attempt) -> None:
    sid = attempt.call_sid
    assert sid is not None  # claimed only with a sid
    with correlation(str(attempt.request_id), call_sid=sid, attempt=attempt.attempt):
        try:
            call = await ctx.telephony.fetch_call(sid)
        except CallNotFound:
            status, duration = _NO_SUCH_CALL, 0.0
        except (TelephonyUnavailable, CallRejected) as exc:
            log.warning("carrier_check_unanswered", error=str(exc))
            return
        else:
            status, duration = call.status, call.duration_seconds
        log.info("carrier_check", attempt_state=attempt.state.value, carrier_status=status)
        try:
            await apply_carrier_status(uow, ctx, attempt_id=attempt.id, call_sid=sid,
                                       call_status=status, duration_seconds=duration)
        except UnknownAttempt:
            log.warning("carrier_check_for_unknown_attempt")
