"""The callee's opening hours: whose they are, and checking them at the moment of
dialing (G6).

The hours a call obeys are the requesting tenant's own for the number it calls, if it
set any in catalog-service (``business_hours_set``, kept in this service's projection:
read locally, so catalog-service being down changes nothing), in the zone they name or
else the number's; otherwise the default hours (``DEFAULT_BUSINESS_HOURS``) in the
number's zone. They are looked up afresh each time they are needed (a new request, a
retry, the moment of dialing), so hours changed after a call was scheduled are obeyed
when it is dialled.

A timer was set inside the callee's hours, but it may be taken late: after downtime
across closing time, or behind a long queue at the carrier's calls-per-second limit. So
the dialer asks again with the clock of the moment it would dial; a callee closed now
gets its attempt moved to the next opening, with the same ``scheduled`` event a new
request outside the hours gets (so the request shows ``outside_business_hours`` and when
it will be called), in the callee's zone, never the server's.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from ringbook.contracts.calls import Scheduled
from ringbook.logging import get_logger

from call_orchestrator.application.context import Orchestration
from call_orchestrator.application.ports import Transaction
from call_orchestrator.domain.catalog import CalleeHours, callee_hours
from call_orchestrator.domain.jobs import Job

log = get_logger(__name__)


async def hours_for_call(tx: Transaction, ctx: Orchestration, tenant_id: uuid.UUID,
                         number: str, number_zone: ZoneInfo) -> CalleeHours:
    """The hours ``tenant_id``'s calls to ``number`` obey now."""
    configured = await tx.catalog.hours_for(tenant_id, number)
    return callee_hours(configured, default=ctx.hours, number_zone=number_zone)


async def job_hours(tx: Transaction, ctx: Orchestration, job: Job) -> CalleeHours:
    return await hours_for_call(tx, ctx, job.tenant_id, job.number_to_call,
                                ZoneInfo(job.timezone))


async def defer_until_open(tx: Transaction, ctx: Orchestration, job: Job, attempt: int,
                           now: datetime) -> bool:
    """If the callee is closed at ``now``: the attempt's timer moves to the next opening
    and ``scheduled`` is emitted; True. False when open (dial now). The job is locked."""
    hours = await job_hours(tx, ctx, job)
    opens_at = hours.next_opening(now)
    if opens_at <= now:
        return False
    scheduled = Scheduled(run_at=opens_at, timezone=hours.zone.key)
    await tx.jobs.append(job, job.new_events(ctx.clock, [scheduled]))
    await tx.timers.set(job.request_id, attempt, opens_at)
    log.info("dial_deferred_to_opening", request_id=str(job.request_id), attempt=attempt,
             opens_at=opens_at.isoformat())
    return True
