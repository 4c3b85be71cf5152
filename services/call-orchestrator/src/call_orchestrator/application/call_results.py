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
"""

from __future__ import annotations

import uuid
from datetime import datetime

from ringbook.contracts.calls import AGGREGATE, CallCompleted, CallOutcome
from ringbook.events import Envelope
from ringbook.logging import get_logger
from ringbook.store.database import Conn

from call_orchestrator.adapters import job_repository as repo
from call_orchestrator.application.context import Orchestration
from call_orchestrator.application.failures import record_failure

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


def conversation_handler(ctx: Orchestration):  # type: ignore[no-untyped-def]
    """The CALLS consumer of conversations' ``call_completed`` (outbound calls)."""

    async def handle(conn: Conn, event: Envelope) -> None:
        if isinstance(event.data, CallCompleted):
            # A conversation correlates to its request (the call job's id).
            await settle_attempt(conn, ctx, event.correlation_id, event.data.attempt,
                                 event.data.outcome)

    return handle


async def settle_attempt(conn: Conn, ctx: Orchestration, request_id: uuid.UUID,
                         attempt_no: int, outcome: str) -> None:
    job = await repo.lock_job(conn, request_id)
    attempt = await repo.lock_attempt_number(conn, request_id, attempt_no)
    if job is None or attempt is None or job.aggregate != AGGREGATE:
        # Inbound calls are not settled: nothing to retry, and no one to redial.
        log.warning("call_result_for_unknown_attempt", request_id=str(request_id),
                    attempt=attempt_no)
        return
    if attempt.result is not None:
        return  # settled already: the first result decided
    await repo.set_result(conn, attempt.id, outcome, ctx.clock.now())
    if job.state != "active":
        return  # canceled (or finished): nothing left to decide
    if settles(outcome):
        await repo.drop_timer(conn, job.request_id)
        await repo.set_job_state(conn, job.request_id, "finished")
    else:
        await record_failure(conn, ctx, job, attempt=attempt.attempt,
                             call_sid=attempt.call_sid, reason=failure_reason(outcome))
    log.info("call_result", request_id=str(request_id), attempt=attempt_no, outcome=outcome)


async def conclude_unreported(conn: Conn, ctx: Orchestration, now: datetime,
                              limit: int = 20) -> int:
    """Answered calls that ended with no conversation reporting in time: each gets its
    ``call_completed`` (``no_conversation``) and is settled as a failed attempt."""
    overdue = await repo.overdue_results(conn, now, limit)
    for attempt_id, request_id, duration in overdue:
        async with conn.transaction():
            job = await repo.lock_job(conn, request_id)
            attempt = await repo.lock_attempt(conn, attempt_id)
            if job is None or attempt is None or attempt.result is not None:
                continue  # the conversation's report won the race
            outcome = CallOutcome.NO_CONVERSATION.value
            job = await repo.emit(conn, job, ctx.clock, CallCompleted(
                attempt=attempt.attempt, call_sid=attempt.call_sid or "",
                duration_seconds=duration, outcome=outcome))
            await settle_attempt(conn, ctx, request_id, attempt.attempt, outcome)
            log.warning("call_without_conversation", request_id=str(request_id),
                        attempt=attempt.attempt, call_sid=attempt.call_sid)
    return len(overdue)
