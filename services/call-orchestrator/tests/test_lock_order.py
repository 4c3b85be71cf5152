"""Every path that touches a request's call job and its timer locks the job first.

The dialer's tick and a cancel both change a job and its timer. If one locked timer then
job and the other job then timer, each could hold what the other waits for, and
Postgres would abort one of them (a deadlock error: the cancel redelivered, the tick
skipped). Here ticks and cancels race for real on one Postgres, round after round."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from call_orchestrator.adapters.unit_of_work import PgUnitOfWork
from call_orchestrator.application.dialer import Dialer
from orchestration_db import Requests, UnconfirmedCarrier, migrated_pool, orchestration
from ringbook.clock import FakeClock
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.waiting import eventually

ROUNDS = 12
JOBS_PER_ROUND = 20  # the dialer's batch: one tick claims them all


async def test_cancels_racing_the_dialer_never_deadlock(
    infra: ServerSet, fresh_schema: str
) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    carrier = UnconfirmedCarrier()
    ctx = orchestration(clock, carrier)
    async with migrated_pool(infra, fresh_schema, size=JOBS_PER_ROUND + 4) as pool:
        requests = Requests(pool, ctx, clock)
        dialer = Dialer(uow=PgUnitOfWork(pool), ctx=ctx, batch=JOBS_PER_ROUND)
        for _ in range(ROUNDS):
            ids = [uuid.uuid4() for _ in range(JOBS_PER_ROUND)]
            for request_id in ids:
                await requests.handle(requests.received(request_id))  # due at once
            # The cancels run in the opposite order to the tick's, each on its own
            # connection, all at once with the tick.
            outcome = await asyncio.gather(
                dialer.tick(),
                *(requests.handle(requests.canceled(r)) for r in reversed(ids)),
                return_exceptions=True,
            )
            assert [repr(o) for o in outcome if isinstance(o, BaseException)] == []
            states = await pool.fetch(
                "select state, count(*) from call_jobs where request_id = any($1::uuid[])"
                " group by state", ids)
            assert {r["state"]: r["count"] for r in states} == {"canceled": JOBS_PER_ROUND}
            assert await pool.fetchval("select count(*) from call_timers") == 0
        # Whatever was claimed before its cancel was dialled once, never twice.
        attempts = await pool.fetchval("select count(*) from call_attempts")
        await eventually(lambda: len(carrier.dialled) == attempts)
        assert len({c.status_callback_url for c in carrier.dialled}) == attempts
