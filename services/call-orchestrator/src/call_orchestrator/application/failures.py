"""A failed attempt: schedule the next one inside business hours, or give up (G7).

Retries are bounded by the policy's max attempts and spaced by its delay; when the
request is finished or canceled no timer is left behind.
"""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from ringbook.contracts.calls import CallFailed
from ringbook.store.database import Conn

from call_orchestrator.adapters import job_repository as repo
from call_orchestrator.application.context import Orchestration
from call_orchestrator.domain.attempts import AttemptState


async def record_failure(
    conn: Conn,
    ctx: Orchestration,
    job: repo.Job,
    *,
    attempt: int,
    call_sid: str | None,
    reason: str,
    retryable: bool = True,
) -> repo.Job:
    """Emit ``call_failed``; set the next attempt's timer or finish the job."""
    now = ctx.clock.now()
    retry_at = None
    if retryable and job.state == "active":
        retry_at = ctx.retry_policy.next_attempt_at(
            failed_attempt=attempt, failed_at=now, hours=ctx.hours, tz=ZoneInfo(job.timezone)
        )
    job = await repo.emit(conn, job, ctx.clock, CallFailed(
        attempt=attempt, call_sid=call_sid, reason=reason, retry_at=retry_at,
        timezone=job.timezone,
    ))
    if retry_at is not None:
        await repo.set_timer(conn, job.request_id, attempt + 1, retry_at)
    elif job.state == "active":
        await repo.drop_timer(conn, job.request_id)
        await repo.set_job_state(conn, job.request_id, "finished")
    return job


async def fail_unconfirmed(
    conn: Conn, ctx: Orchestration, attempt_id: uuid.UUID, request_id: uuid.UUID
) -> None:
    """An attempt stuck in ``dialing`` (we crashed mid-dial, or the carrier never
    confirmed): it is failed, never redialed; the next attempt follows the policy."""
    job = await repo.lock_job(conn, request_id)
    attempt = await repo.lock_attempt(conn, attempt_id)
    if job is None or attempt is None or attempt.state is not AttemptState.DIALING:
        return
    await repo.update_attempt(conn, attempt_id, AttemptState.FAILED, ctx.clock.now())
    await record_failure(conn, ctx, job, attempt=attempt.attempt, call_sid=None,
                         reason="the carrier never confirmed the call")
