"""What an answered call came to, and what the request's call job does next.

An answered call is settled by its first result:

* its conversation's ``call_completed`` (media-bridge, aggregate ``conversation``): a
  booking, or the practice asking to be called back, finishes the job; any other end
  (the callee hung up, the agent ended without a result, the model failed) is a failed
  attempt, so ``call_failed`` follows and the retry policy decides on the next one;
* or, when the carrier reports the call ended and no conversation has reported by
  ``result_grace_seconds`` later (its media stream never reached media-bridge), the
  sweep writes ``call_completed`` with outcome ``no_conversation`` itself, so every call
  still ends with one, and fails the attempt the same way.

The result is stored on the attempt row in the handler's transaction and only the first
one acts, so neither a redelivered event nor a late report can fail an attempt twice.

A conversation's ``booking_confirmed`` settles the job by itself, before and without its
``call_completed``: it records the attempt's result as booked and finishes the job. So
a lost report can no longer make the sweep take a booked call for one without a
conversation, and a report of another outcome applied first (the two travel on separate
consumers) has its retry dropped: a request with a confirmed booking is never dialled
again.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from ringbook.contracts.calls import BookingConfirmed, CallCompleted, CallOutcome
from ringbook.events import Envelope
from ringbook.logging import get_logger

from call_orchestrator.application.context import Orchestration
from call_orchestrator.application.failures import record_failure
from call_orchestrator.application.hangups import hang_up_later
from call_orchestrator.application.ports import Transaction, UnitOfWork
from call_orchestrator.domain.jobs import JobState

log = get_logger(__name__)

_WHY = {
    CallOutcome.ENDED: "the agent ended the call without a booking",
    CallOutcome.CALLER_HUNG_UP: "the callee hung up before anything was booked",
    CallOutcome.MODEL_DISCONNECTED: "the voice agent failed during the call",
    CallOutcome.NO_CONVERSATION: "the call was answered, but the voice agent never joined it",
}


def failure_reason(outcome: str) -> str:
    try:
        return _WHY[CallOutcome(outcome)]
    except (ValueError, KeyError):  # an outcome this version does not know
        return f"the call ended without a result ({outcome[:60]})"


def settles(outcome: str) -> bool:
    return outcome in (CallOutcome.BOOKED.value, CallOutcome.NO_AVAILABILITY.value)


async def on_conversation_event(tx: Transaction, ctx: Orchestration, event: Envelope) -> None:
    """The handler of the CALLS consumers of conversations' ``call_completed`` and
    ``booking_confirmed`` (outbound calls), in the pull worker's transaction."""
    # A conversation correlates to its request (the call job's id).
    if isinstance(event.data, CallCompleted):
        await settle_attempt(tx, ctx, event.correlation_id, event.data.attempt,
                             event.data.outcome)
    elif isinstance(event.data, BookingConfirmed):
        await settle_booked(tx, ctx, event, event.data.attempt)


async def settle_booked(tx: Transaction, ctx: Orchestration, event: Envelope, attempt_no: int
                        ) -> None:
    request_id = event.correlation_id
    job = await tx.jobs.lock(request_id)
    if job is None or not job.outbound or job.tenant_id != event.tenant_id:
        log.warning("booking_for_unknown_request", request_id=str(request_id),
                    attempt=attempt_no)
        return
    attempt = await tx.attempts.lock_number(request_id, attempt_no)
    if attempt is not None and attempt.result is None:
        # The call's result: the sweep no longer waits for its report.
        await tx.attempts.set_result(attempt.id, CallOutcome.BOOKED.value, ctx.clock.now())
    if not job.active:
        return  # finished already (or canceled: the user's word stands)
    await tx.timers.drop(request_id)
    await tx.jobs.set_state(request_id, JobState.FINISHED)
    live = await tx.attempts.live(request_id)
    if live is not None and live.attempt != attempt_no and live.call_sid is not None:
        # A retry dialled before the booking was known: the practice has booked already.
        await hang_up_later(tx, ctx, call_sid=live.call_sid, request_id=request_id,
                            reason="request booked")
    log.info("call_job_booked", request_id=str(request_id), attempt=attempt_no)


async def settle_attempt(tx: Transaction, ctx: Orchestration, request_id: uuid.UUID,
                         attempt_no: int, outcome: str) -> None:
    job = await tx.jobs.lock(request_id)
    attempt = await tx.attempts.lock_number(request_id, attempt_no)
    if job is None or attempt is None or not job.outbound:
        # Inbound calls are not settled: nothing to retry, and no one to redial.
        log.warning("call_result_for_unknown_attempt", request_id=str(request_id),
                    attempt=attempt_no)
        return
    if attempt.result is not None:
        return  # settled already: the first result decided
    await tx.attempts.set_result(attempt.id, outcome, ctx.clock.now())
    if not job.active:
        return  # canceled (or finished): nothing left to decide
    if settles(outcome):
        await tx.timers.drop(job.request_id)
        await tx.jobs.set_state(job.request_id, JobState.FINISHED)
    else:
        await record_failure(tx, ctx, job, attempt=attempt.attempt,
                             call_sid=attempt.call_sid, reason=failure_reason(outcome))
    log.info("call_result", request_id=str(request_id), attempt=attempt_no, outcome=outcome)


async def conclude_unreported(uow: UnitOfWork, ctx: Orchestration, now: datetime,
                              limit: int = 20) -> int:
    """Answered calls that ended with no conversation reporting in time: each gets its
    ``call_completed`` (``no_conversation``) and is settled as a failed attempt."""
    async with uow.transaction() as tx:
        overdue = await tx.attempts.overdue_results(now, limit)
    for attempt_id, request_id, duration in overdue:
        async with uow.transaction() as tx:
            job = await tx.jobs.lock(request_id)
            attempt = await tx.attempts.lock(attempt_id)
            if job is None or attempt is None or attempt.result is not None:
                continue  # the conversation's report won the race
            outcome = CallOutcome.NO_CONVERSATION.value
            completed = CallCompleted(attempt=attempt.attempt, call_sid=attempt.call_sid or "",
                                      duration_seconds=duration, outcome=outcome)
            await tx.jobs.append(job, job.new_events(ctx.clock, [completed]))
            await settle_attempt(tx, ctx, request_id, attempt.attempt, outcome)
            log.warning("call_without_conversation", request_id=str(request_id),
                        attempt=attempt.attempt, call_sid=attempt.call_sid)
    return len(overdue)
