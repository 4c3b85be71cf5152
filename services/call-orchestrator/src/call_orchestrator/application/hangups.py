"""Calls that must end, ended by the carrier after the decision has committed.

A live call of a canceled request, or of an attempt already given up (or of a request
booked meanwhile), must be hung up as soon as its sid is known: by the cancel when the
sid is known then, otherwise by whoever learns it later (the dial's answer, a status
callback). That decision is a row (``hang_up_later``) in the deciding transaction, never
a carrier request inside it: a carrier that answers 429 or 5xx, or not at all, would
otherwise roll the cancel back (and after ``max_deliver`` dead-letter it while the
call goes on). ``hang_up_due`` asks the carrier after the commit, and again with a
growing backoff while it fails (``domain.hangups``); hanging up is idempotent, so a
retry after a lost answer is harmless.
"""

from __future__ import annotations

import asyncio
import uuid

from ringbook.logging import correlation, get_logger

from call_orchestrator.application.context import Orchestration
from call_orchestrator.application.ports import Transaction, UnitOfWork
from call_orchestrator.application.telephony import CallRejected, TelephonyUnavailable
from call_orchestrator.domain.hangups import PendingHangup, retry_after

log = get_logger(__name__)


async def hang_up_later(tx: Transaction, ctx: Orchestration, *, call_sid: str,
                        request_id: uuid.UUID, reason: str) -> None:
    """Record, in the caller's transaction, that this call must end."""
    await tx.hangups.add(call_sid=call_sid, request_id=request_id, reason=reason,
                         now=ctx.clock.now())
    log.info("hangup_pending", call_sid=call_sid, request_id=str(request_id), reason=reason)


async def hang_up_due(uow: UnitOfWork, ctx: Orchestration, limit: int = 20) -> int:
    """Ask the carrier to end every call whose hang-up is due; returns how many."""
    now = ctx.clock.now()
    async with uow.transaction() as tx:
        # Committed before the carrier is asked: its next retry is already scheduled.
        claimed = await tx.hangups.claim_due(now, limit, retry_after)
    # Each waits for its own answer; one failing (its row is due again after the
    # backoff) never cuts the others short.
    outcomes = await asyncio.gather(*(_hang_up(uow, ctx, h) for h in claimed),
                                    return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return len(claimed)


async def _hang_up(uow: UnitOfWork, ctx: Orchestration, hangup: PendingHangup) -> None:
    with correlation(str(hangup.request_id), call_sid=hangup.call_sid):
        try:
            await ctx.telephony.hang_up(hangup.call_sid)
        except TelephonyUnavailable as exc:
            if not hangup.outlived_its_call(ctx.clock.now()):
                log.warning("hangup_failed", error=str(exc), tries=hangup.tries,
                            retry_in=retry_after(hangup.tries).total_seconds())
                async with uow.transaction() as tx:
                    await tx.hangups.failed(hangup.call_sid, str(exc))
                return
            log.error("hangup_given_up", error=str(exc), tries=hangup.tries)
        except CallRejected as exc:
            # Refused for good (the carrier does not know the call): nothing to retry.
            log.error("hangup_refused", error=str(exc), tries=hangup.tries)
        else:
            log.info("hangup_done", reason=hangup.reason, tries=hangup.tries)
        async with uow.transaction() as tx:
            await tx.hangups.done(hangup.call_sid)


async def seconds_to_next_hangup(uow: UnitOfWork, ctx: Orchestration,
                                 ceiling: float) -> float:
    async with uow.transaction() as tx:
        due = await tx.hangups.next_due()
    if due is None:
        return ceiling
    return max(0.0, min(ceiling, (due - ctx.clock.now()).total_seconds()))
