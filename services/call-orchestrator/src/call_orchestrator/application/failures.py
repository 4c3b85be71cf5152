"""A failed attempt: schedule the next one inside the callee's business hours (the
tenant's own for the number, else the defaults), or give up (G7).

Retries are bounded by the policy's max attempts and spaced by its delay; when the
request is finished or canceled no timer is left behind.
"""

from __future__ import annotations

import uuid

from ringbook.contracts.calls import CallFailed

from call_orchestrator.application.context import Orchestration
from call_orchestrator.application.opening_hours import job_hours
from call_orchestrator.application.ports import Transaction
from call_orchestrator.domain.attempts import AttemptState
from call_orchestrator.domain.jobs import Job, JobState


async def record_failure(
    tx: Transaction,
    ctx: Orchestration,
    job: Job,
    *,
    attempt: int,
    call_sid: str | None,
    reason: str,
    retryable: bool = True,
) -> Job:
    """Emit ``call_failed``; set the next attempt's timer or finish the job."""
    now = ctx.clock.now()
    retry_at = None
    zone = job.timezone
    if retryable and job.active:
        hours = await job_hours(tx, ctx, job)
        zone = hours.zone.key
        retry_at = ctx.retry_policy.next_attempt_at(
            failed_attempt=attempt, failed_at=now, hours=hours.hours, tz=hours.zone
        )
    failed = CallFailed(attempt=attempt, call_sid=call_sid, reason=reason, retry_at=retry_at,
                        timezone=zone)
    job = await tx.jobs.append(job, job.new_events(ctx.clock, [failed]))
    if retry_at is not None:
        await tx.timers.set(job.request_id, attempt + 1, retry_at)
    elif job.active:
        await tx.timers.drop(job.request_id)
        await tx.jobs.set_state(job.request_id, JobState.FINISHED)
    return job


async def fail_unconfirmed(
    tx: Transaction, ctx: Orchestration, attempt_id: uuid.UUID, request_id: uuid.UUID
) -> None:
    """An attempt stuck in ``dialing`` (we crashed mid-dial, or the carrier never
    confirmed): it is failed, never redialed; the next attempt follows the policy."""
    job = await tx.jobs.lock(request_id)
    attempt = await tx.attempts.lock(attempt_id)
    if job is None or attempt is None or attempt.state is not AttemptState.DIALING:
        return
    await tx.attempts.update(attempt_id, AttemptState.FAILED, ctx.clock.now())
    await record_failure(tx, ctx, job, attempt=attempt.attempt, call_sid=None,
                         reason="the carrier never confirmed the call")
