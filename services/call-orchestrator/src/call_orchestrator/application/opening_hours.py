"""The callee's opening hours, checked at the moment of dialing (G6).

A timer was set inside the callee's hours, but it may be taken late: after downtime
across closing time, or behind a long queue at the carrier's calls-per-second limit. So
the dialer asks again with the clock of the moment it would dial; a callee closed now
gets its attempt moved to the next opening, with the same ``scheduled`` event a new
request outside the hours gets (so the request shows ``outside_business_hours`` and when
it will be called), in the callee's zone, never the server's.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ringbook.contracts.calls import Scheduled
from ringbook.logging import get_logger

from call_orchestrator.application.context import Orchestration
from call_orchestrator.application.ports import Transaction
from call_orchestrator.domain.jobs import Job

log = get_logger(__name__)


async def defer_until_open(tx: Transaction, ctx: Orchestration, job: Job, attempt: int,
                           now: datetime) -> bool:
    """If the callee is closed at ``now``: the attempt's timer moves to the next opening
    and ``scheduled`` is emitted; True. False when open (dial now). The job is locked."""
    tz = ZoneInfo(job.timezone)
    opens_at = ctx.hours.next_opening(now, tz)
    if opens_at <= now:
        return False
    scheduled = Scheduled(run_at=opens_at, timezone=tz.key)
    await tx.jobs.append(job, job.new_events(ctx.clock, [scheduled]))
    await tx.timers.set(job.request_id, attempt, opens_at)
    log.info("dial_deferred_to_opening", request_id=str(job.request_id), attempt=attempt,
             opens_at=opens_at.isoformat())
    return True
