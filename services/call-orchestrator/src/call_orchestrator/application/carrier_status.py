"""Applying a carrier status callback to its attempt (and the request's call job).

A callback may be the first to name a call's sid (before the dial's own answer). If
the request was canceled meanwhile, or the attempt already given up, the call must not
go on: its hang-up is recorded here, in this transaction, and done by the hang-up loop.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
from ringbook.contracts.calls import AGGREGATE, CallConnected, CallStarted
from ringbook.events import EventData
from ringbook.logging import get_logger

from call_orchestrator.adapters import job_repository as repo
from call_orchestrator.application.context import Orchestration
from call_orchestrator.application.failures import record_failure
from call_orchestrator.application.hangups import hang_up_later
from call_orchestrator.domain.attempts import AttemptState, on_carrier_status

log = get_logger(__name__)


# Twilio's CallStatus values of a call still on the line (or about to be).
_LIVE = frozenset({"queued", "initiated", "ringing", "in-progress"})


class UnknownAttempt(LookupError):
    pass


def _must_end(job: repo.Job, before: AttemptState, after: AttemptState) -> bool:
    """A live outbound call the request no longer wants: its request was canceled, or
    settled (booked) while this call was still dialing. (A call that booked is the one
    that settled the job: it is never cut off here.)"""
    if job.aggregate != AGGREGATE or after not in (AttemptState.PLACED, AttemptState.CONNECTED):
        return False
    return job.state == "canceled" or (job.state != "active" and before is AttemptState.DIALING)


async def apply_carrier_status(
    pool: asyncpg.Pool,
    ctx: Orchestration,
    *,
    attempt_id: uuid.UUID,
    call_sid: str,
    call_status: str,
    duration_seconds: float,
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        # Lock order is always job, then attempt (as in the dialer): the opposite order
        # deadlocks against a dialer recording the same call.
        request_id = await repo.attempt_request(conn, attempt_id)
        job = await repo.lock_job(conn, request_id) if request_id else None
        attempt = await repo.lock_attempt(conn, attempt_id)
        if job is None or attempt is None:
            raise UnknownAttempt(str(attempt_id))
        if attempt.call_sid is not None and attempt.call_sid != call_sid:
            raise UnknownAttempt(f"{attempt_id} belongs to another call")
        now = ctx.clock.now()
        if attempt.state is AttemptState.FAILED and attempt.call_sid is None:
            # Given up (never confirmed in time) before the carrier named the call; if
            # it is ringing or answered after all, it must end, and changes nothing else.
            if call_status in _LIVE:
                await repo.update_attempt(conn, attempt.id, attempt.state, now, call_sid)
                await hang_up_later(conn, ctx, call_sid=call_sid, request_id=job.request_id,
                                    reason="attempt given up")
            return
        effect = on_carrier_status(attempt.state, call_status)
        if effect is None:
            return  # a repeat or a step backwards: no second effect
        await repo.update_attempt(conn, attempt.id, effect.state, now, call_sid)
        events: list[EventData] = []
        if effect.started:
            events.append(CallStarted(attempt=attempt.attempt, call_sid=call_sid,
                                      number=job.number_to_call))
        if effect.connected:
            events.append(CallConnected(attempt=attempt.attempt, call_sid=call_sid))
        # An answered call's call_completed comes from its conversation (media-bridge),
        # which knows what was said; the carrier's end only closes the attempt here, and
        # starts the wait for that report (see call_results).
        # Inbound calls have no request to settle (and must never be redialed).
        if effect.completed and attempt.result is None and job.aggregate == AGGREGATE:
            await repo.expect_result(
                conn, attempt.id, duration_seconds=duration_seconds,
                due_at=now + timedelta(seconds=ctx.result_grace_seconds))
        if events:
            job = await repo.emit(conn, job, ctx.clock, *events)
        if _must_end(job, attempt.state, effect.state):
            await hang_up_later(conn, ctx, call_sid=call_sid, request_id=job.request_id,
                                reason=f"request {job.state}")
        if effect.failure is not None:
            await record_failure(conn, ctx, job, attempt=attempt.attempt, call_sid=call_sid,
                                 reason=effect.failure)
        log.info("carrier_status_applied", call_sid=call_sid, status=call_status,
                 attempt_state=effect.state.value)
