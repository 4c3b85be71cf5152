"""The lead analysis jobs in Postgres: leased with ``for update skip locked``, so lanes
of several replicas never take the same job, and committed at once, so no transaction
stays open while the model thinks."""

from __future__ import annotations

from datetime import datetime

import asyncpg
from ringbook.store.unavailable import ACQUIRE_TIMEOUT_SECONDS, reraise_unavailable

from catalog_service.application.lead_ports import AnalysisJob
from catalog_service.application.ports import StoreUnavailable

# The due job is picked by a scalar subquery: Postgres runs it once (an InitPlan). In an
# UPDATE's FROM, the same LIMIT 1 may be re-run for every row of a nested loop, each run
# skipping the rows the earlier ones locked: one lease then took every due job (seen with
# 4,538 jobs in `make run`).
_LEASE = """
update lead_analysis_jobs set leased_until = $2, attempts = attempts + 1
where lead_id = (
    select lead_id from lead_analysis_jobs
    where state = 'pending' and due_at <= $1 and (leased_until is null or leased_until <= $1)
    order by due_at limit 1 for update skip locked)
returning lead_id, tenant_id, of_version, attempts
"""
_FAILED = """
update lead_analysis_jobs
set last_error = $3, leased_until = null, due_at = coalesce($4, due_at),
    state = case when $4::timestamptz is null then 'failed' else 'pending' end
where lead_id = $1 and of_version = $2
"""


class PgLeadJobs:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def lease(self, now: datetime, until: datetime) -> AnalysisJob | None:
        with reraise_unavailable(StoreUnavailable):
            async with self._pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as conn:
                row = await conn.fetchrow(_LEASE, now, until)
        if row is None:
            return None
        return AnalysisJob(lead_id=row["lead_id"], tenant_id=row["tenant_id"],
                           of_version=row["of_version"], attempts=row["attempts"])

    async def failed(self, job: AnalysisJob, error: str, retry_at: datetime | None) -> None:
        with reraise_unavailable(StoreUnavailable):
            async with (self._pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as conn,
                        conn.transaction()):
                await conn.execute(_FAILED, job.lead_id, job.of_version, error[:2000],
                                   retry_at)
                if retry_at is None:
                    await conn.execute(
                        "update leads set analysis_state = 'failed'"
                        " where id = $1 and version = $2", job.lead_id, job.of_version)
