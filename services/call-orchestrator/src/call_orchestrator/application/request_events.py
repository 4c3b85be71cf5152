"""Reacting to the requests context: a new request gets its first call timer; a
canceled one loses its timer and has its live call hung up.

A request's two events may be handled in either order: ``request_received`` nak'ed for
a transient error comes back after the ``request_canceled`` behind it, and two replicas
on the shared durable consumer may each take one at the same moment. So a cancel that
finds no job records itself (``canceled_requests``), and ``request_received`` honours
that record: the job is created canceled, with no timer, and nothing is dialled. Both
handlers first take the request's advisory lock, so one of them always sees what the
other committed (a row lock cannot serialize them: the job row may not exist yet).
"""

from __future__ import annotations

from ringbook.contracts.calls import Scheduled
from ringbook.contracts.requests import RequestCanceled, RequestReceived
from ringbook.events import Envelope
from ringbook.logging import get_logger

from call_orchestrator.application.context import Orchestration
from call_orchestrator.application.hangups import hang_up_later
from call_orchestrator.application.opening_hours import hours_for_call
from call_orchestrator.application.ports import Transaction
from call_orchestrator.domain.jobs import Job, JobState

log = get_logger(__name__)


async def on_request_event(tx: Transaction, ctx: Orchestration, event: Envelope) -> None:
    """The requests consumer's handler, in the pull worker's transaction (which holds
    the event's inbox claim)."""
    if isinstance(event.data, RequestReceived):
        await _received(tx, ctx, event, event.data)
    elif isinstance(event.data, RequestCanceled):
        await _canceled(tx, ctx, event)


async def _received(tx: Transaction, ctx: Orchestration, event: Envelope,
                    data: RequestReceived) -> None:
    await tx.jobs.serialize_request(event.aggregate_id)
    canceled = await tx.jobs.canceled_early(event.aggregate_id, event.tenant_id)
    tz = ctx.timezone_for(data.number_to_call)
    job = Job(
        request_id=event.aggregate_id, tenant_id=event.tenant_id,
        number_to_call=data.number_to_call, timezone=tz.key,
        request=data.model_dump(mode="json"),
        state=JobState.CANCELED if canceled else JobState.ACTIVE, version=0,
    )
    if not await tx.jobs.add(job):
        return  # already known (replayed from another consumer position)
    if canceled:
        log.info("request_canceled_before_received", request_id=str(job.request_id))
        return
    now = ctx.clock.now()
    # The callee's hours (the tenant's own for this number, else the defaults) in the
    # callee's zone, never the server's clock (G6).
    hours = await hours_for_call(tx, ctx, job.tenant_id, job.number_to_call, tz)
    opens_at = hours.next_opening(now)
    if opens_at > now:
        scheduled = Scheduled(run_at=opens_at, timezone=hours.zone.key)
        await tx.jobs.append(job, job.new_events(ctx.clock, [scheduled], causation_id=event.id))
    await tx.timers.set(job.request_id, 1, opens_at)


async def _canceled(tx: Transaction, ctx: Orchestration, event: Envelope) -> None:
    await tx.jobs.serialize_request(event.aggregate_id)
    job = await tx.jobs.lock(event.aggregate_id)
    if job is None:
        # Overtaken by its own request_received, which will find this record.
        await tx.jobs.record_early_cancel(event.aggregate_id, event.tenant_id, event.id,
                                          ctx.clock.now())
        log.info("request_canceled_before_received", request_id=str(event.aggregate_id))
        return
    if not job.active:
        return
    await tx.timers.drop(job.request_id)
    await tx.jobs.set_state(job.request_id, JobState.CANCELED)
    live = await tx.attempts.live(job.request_id)
    if live is not None and live.call_sid is not None:
        # Recorded, not done here: the cancel commits whatever the carrier answers. A
        # call still dialing has no sid yet; whoever learns it sees the job canceled.
        await hang_up_later(tx, ctx, call_sid=live.call_sid, request_id=job.request_id,
                            reason="request canceled")
    log.info("call_job_canceled", request_id=str(job.request_id),
             live_call=live.call_sid if live else None)
