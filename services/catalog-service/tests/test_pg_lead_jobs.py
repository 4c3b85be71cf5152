"""The lead analysis jobs' lease against real Postgres: one lease takes one job, however
many are due and whatever plan Postgres picks (a LIMIT in an UPDATE's FROM may be
re-run for every row, leasing them all: the plan this test once caught)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from catalog_service.adapters.pg_lead_jobs import PgLeadJobs
from catalog_service.testing.api import CatalogApi
from catalog_service.testing.lead_files import german_excel_export
from ringbook.clock import FakeClock

TENANT = uuid.UUID("00000000-0000-0000-0000-0000000000a1")


async def test_a_lease_takes_one_job_of_thousands(catalog: CatalogApi, clock: FakeClock
                                                  ) -> None:
    body, expected = german_excel_export(3000, seed=1, today=clock.now().date())
    imported = await catalog.call("POST", "/import/leads", TENANT, content=body,
                                  headers={"Content-Type": "text/csv"})
    assert imported.status_code == 200, imported.text
    await catalog.pool.execute("analyze lead_analysis_jobs")
    jobs = PgLeadJobs(catalog.pool)
    now = clock.now()
    first = await jobs.lease(now, now + timedelta(seconds=90))
    second = await jobs.lease(now, now + timedelta(seconds=90))
    assert first is not None and second is not None and first.lead_id != second.lead_id
    leased = await catalog.pool.fetchval(
        "select count(*) from lead_analysis_jobs where leased_until is not null")
    assert leased == 2
    assert await catalog.count("lead_analysis_jobs") == expected.distinct_keys
