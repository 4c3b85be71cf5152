"""Applying a carrier status callback to its attempt (and the request's call job).

A callback may be the first to name a call's sid (before the dial's own answer). If
the request was canceled meanwhile, or the attempt already given up, the call must not
go on: its hang-up is recorded here, in this transaction, and done by the hang-up loop.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from ringbook.contracts.calls import CallConnected, CallStarted
from ringbook.events import EventData
from ringbook.logging import get_logger

from call_orchestrator.application.context import Orchestration
from call_orchestrator.application.failures import record_failure
from call_orchestrator.application.hangups import hang_up_later
from call_orchestrator.application.ports import UnitOfWork
from call_orchestrator.domain.attempts import AttemptState, on_carrier_status
from call_orchestrator.domain.jobs import Job, JobState

log = get_logger(__name__)


# Twilio's CallStatus values of a call still on the line (or about to be).
_LIVE = frozenset({"queued", "initiated", "ringing", "in-progress"})


class UnknownAttempt(LookupError):
    pass


def _must_end(job: Job, before: AttemptState, after: AttemptState) -> bool:
    """A live outbound call the request no longer wants: its request was canceled, or
    settled (booked) while this call was still dialing. (A call that booked is the one
    that settled the job: it is never cut off here.)"""
    if not job.outbound or after not in (AttemptState.PLACED, AttemptState.CONNECTED):
        return False
    return job.state is JobState.CANCELED or (not job.active and before is AttemptState.DIALING)


async def attempt_of_call(uow: UnitOfWork, call_sid: str) -> uuid.UUID | None:
    """The attempt carrying ``call_sid`` (an inbound call's callbacks name only the sid)."""
    async with uow.transaction() as tx:
        return await tx.attempts.by_sid(call_sid)


async def apply_carrier_status(
    uow: UnitOfWork,
    ctx: Orchestration,
    *,
    attempt_id: uuid.UUID,
    call_sid: str,
    call_status: str,
    duration_seconds: float,
) -> None:
    async with uow.transaction() as tx:
        # Lock order is always job, then attempt (as in the dialer): the opposite order
        # deadlocks against a dialer recording the same call.
        request_id = await tx.attempts.request_of(attempt_id)
        job = await tx.jobs.lock(request_id) if request_id else None
        attempt = await tx.attempts.lock(attempt_id)
        if job is None or attempt is None:
            raise UnknownAttempt(str(attempt_id))
        if attempt.call_sid is not None and attempt.call_sid != call_sid:
            raise UnknownAttempt(f"{attempt_id} belongs to another call")
        now = ctx.clock.now()
        if attempt.state is AttemptState.FAILED and attempt.call_sid is None:
            # Given up (never confirmed in time) before the carrier named the call; if
            # it is ringing or answered after all, it must end, and changes nothing else.
            if call_status in _LIVE:
                await tx.attempts.update(attempt.id, attempt.state, now, call_sid)
                await hang_up_later(tx, ctx, call_sid=call_sid, request_id=job.request_id,
                                    reason="attempt given up")
            return
        effect = on_carrier_status(attempt.state, call_status)
        if effect is None:
            return  # a repeat or a step backwards: no second effect
        await tx.attempts.update(attempt.id, effect.state, now, call_sid)
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
        if effect.completed and attempt.result is None and job.outbound:
            await tx.attempts.expect_result(
                attempt.id, duration_seconds=duration_seconds,
                due_at=now + timedelta(seconds=ctx.result_grace_seconds))
        if events:
            job = await tx.jobs.append(job, job.new_events(ctx.clock, events))
        if _must_end(job, attempt.state, effect.state):
            await hang_up_later(tx, ctx, call_sid=call_sid, request_id=job.request_id,
                                reason=f"request {job.state}")
        if effect.failure is not None:
            await record_failure(tx, ctx, job, attempt=attempt.attempt, call_sid=call_sid,
                                 reason=effect.failure)
        log.info("carrier_status_applied", call_sid=call_sid, status=call_status,
                 attempt_state=effect.state.value)
