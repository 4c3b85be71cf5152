"""Applying a carrier status callback to its attempt (and the request's call job)."""

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
from call_orchestrator.domain.attempts import on_carrier_status

log = get_logger(__name__)


class UnknownAttempt(LookupError):
    pass


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
        effect = on_carrier_status(attempt.state, call_status)
        if effect is None:
            return  # a repeat or a step backwards: no second effect
        now = ctx.clock.now()
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
        if effect.failure is not None:
            await record_failure(conn, ctx, job, attempt=attempt.attempt, call_sid=call_sid,
                                 reason=effect.failure)
        log.info("carrier_status_applied", call_sid=call_sid, status=call_status,
                 attempt_state=effect.state.value)
