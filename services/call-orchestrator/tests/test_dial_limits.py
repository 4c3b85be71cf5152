"""What is dialed, and when, is decided at the moment of dialing (G6): the callee's hours,
the carrier's calls-per-second limit, each tenant's limit of live calls, and turns across
tenants. Real Postgres; the dialer driven tick by tick under the FakeClock; the carrier
faked at the Telephony port, recording each dial's time on the fake clock."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from call_orchestrator.application.carrier_reconcile import CarrierChecks
from call_orchestrator.domain.dial_pacing import DialLimits, DialRate
from call_orchestrator.entrypoints.dialer_loop import DialerLoop
from dialer_bench import Bench, dialer_bench
from ringbook.store.database import create_pool
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.waiting import eventually

# Monday 2026-11-23, 08:00 in Berlin: every request scheduled for the opening.
OPENING = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
TENANTS = [uuid.UUID(int=n) for n in (0xA, 0xB, 0xC)]


@pytest.fixture
async def bench(infra: ServerSet, fresh_schema: str) -> AsyncIterator[Bench]:
    async with dialer_bench(infra.database_url, fresh_schema, OPENING) as b:
        yield b


async def backlog(bench: Bench, per_tenant: int = 20) -> set[uuid.UUID]:
    return {await bench.add_job(t, OPENING) for _ in range(per_tenant) for t in TENANTS}


async def test_a_backlog_drains_at_the_carriers_rate_taking_tenants_in_turn(
    bench: Bench,
) -> None:
    requests = await backlog(bench)
    dialer = bench.dialer(DialLimits(rate=DialRate(calls_per_second=1.0), tenant_max_live=20))
    for _ in range(60):
        first = await bench.tick(dialer)
        assert first.dialed == 1 and first.next_token_in == timedelta(seconds=1)
        # Nothing more in the same second, though 59 calls are due.
        assert (await bench.tick(dialer)).dialed == 0
        bench.clock.advance(timedelta(seconds=1))
    assert (await bench.tick(dialer)).dialed == 0  # drained

    placed = bench.carrier.placed
    assert sorted(p.request_id for p in placed) == sorted(requests)  # each exactly once
    assert [b.at - a.at for a, b in pairwise(placed)] == [
        timedelta(seconds=1)] * 59
    # Round-robin: every three consecutive dials are one per tenant.
    tenants = [p.tenant_id for p in placed]
    for i in range(0, 60, 3):
        assert set(tenants[i:i + 3]) == set(TENANTS)


async def test_no_tenant_ever_has_more_live_calls_than_its_limit(bench: Bench) -> None:
    requests = await backlog(bench)
    limit = 3
    dialer = bench.dialer(DialLimits(rate=DialRate(calls_per_second=100.0, burst=100),
                                     tenant_max_live=limit))
    first = await bench.tick(dialer)
    assert first.dialed == limit * len(TENANTS)
    assert await bench.live_by_tenant() == dict.fromkeys(TENANTS, limit)
    # Tokens left, 51 calls due, and still nothing: every tenant is at its limit.
    assert (await bench.tick(dialer)).dialed == 0

    ended = 0
    peak: Counter[uuid.UUID] = Counter()
    for _ in range(len(requests)):  # at least one call ends per round
        if ended == len(requests):
            break
        # The oldest live calls end (busy, no answer, answered and hung up...), a
        # different number each round.
        live = bench.carrier.placed[ended:][: 1 + ended % 4]
        for p in live:
            await bench.callback(p, "no-answer")
        ended += len(live)
        bench.clock.advance(timedelta(seconds=1))
        await bench.tick(dialer)
        now_live = await bench.live_by_tenant()
        for tenant, n in now_live.items():
            assert n <= limit, f"{tenant} has {n} live calls"
            peak[tenant] = max(peak[tenant], n)
    assert sorted(p.request_id for p in bench.carrier.placed) == sorted(requests)
    assert peak == dict.fromkeys(TENANTS, limit)


async def test_replicas_spend_one_shared_rate_budget(
    bench: Bench, infra: ServerSet, fresh_schema: str,
) -> None:
    await backlog(bench, per_tenant=4)
    limits = DialLimits(rate=DialRate(calls_per_second=1.0), tenant_max_live=10)
    other_pool = await create_pool(infra.database_url, schema=fresh_schema, min_size=1,
                                   max_size=2)
    try:
        replicas = [bench.dialer(limits), bench.dialer(limits, pool=other_pool)]
        for second in range(5):
            results = await asyncio.gather(*(d.tick() for d in replicas))
            assert sum(r.dialed for r in results) == 1, f"second {second}: {results}"
            await eventually(lambda n=second + 1: len(bench.carrier.placed) == n)
            bench.clock.advance(timedelta(seconds=1))
    finally:
        await other_pool.close()
    assert len(bench.carrier.placed) == 5


async def test_a_timer_taken_after_closing_time_waits_for_the_next_opening(
    bench: Bench,
) -> None:
    # Due at 17:59 on Monday; the service was down and takes it at 18:30.
    request_id = await bench.add_job(TENANTS[0], datetime(2026, 11, 23, 16, 59, tzinfo=UTC))
    bench.clock.set(datetime(2026, 11, 23, 17, 30, tzinfo=UTC))
    dialer = bench.dialer(DialLimits())
    assert (await bench.tick(dialer)).dialed == 0
    assert bench.carrier.placed == []
    tuesday_8_berlin = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert await bench.timer(request_id) == (1, tuesday_8_berlin)
    assert await bench.events(request_id) == [
        ("scheduled", {"run_at": "2026-11-24T07:00:00Z", "timezone": "Europe/Berlin"})]

    bench.clock.set(tuesday_8_berlin - timedelta(seconds=1))
    assert (await bench.tick(dialer)).dialed == 0
    bench.clock.set(tuesday_8_berlin)
    assert (await bench.tick(dialer)).dialed == 1
    assert [p.request_id for p in bench.carrier.placed] == [request_id]


async def test_a_call_the_carrier_says_goes_on_is_asked_about_once_per_deadline(
    bench: Bench,
) -> None:
    request_id = await bench.add_job(TENANTS[0], OPENING)
    checks = CarrierChecks(placed_after=timedelta(seconds=120),
                           connected_after=timedelta(seconds=900))
    dialer = bench.dialer(DialLimits(), checks=checks)
    await bench.tick(dialer)
    [placed] = bench.carrier.placed
    bench.carrier.status[placed.sid] = "in-progress"
    await bench.callback(placed, "in-progress")  # answered; then the callbacks stop
    assert await bench.attempt_states(request_id) == ["connected"]

    bench.clock.advance(timedelta(seconds=899))
    assert await dialer.check_with_carrier() == 0
    bench.clock.advance(timedelta(seconds=2))
    assert await dialer.check_with_carrier() == 1
    assert await dialer.check_with_carrier() == 0  # asked just now
    assert bench.carrier.fetched == [placed.sid]
    assert await bench.attempt_states(request_id) == ["connected"]  # it does go on

    bench.clock.advance(timedelta(seconds=901))
    bench.carrier.status[placed.sid] = "completed"
    assert await dialer.check_with_carrier() == 1
    assert await bench.attempt_states(request_id) == ["ended"]
    assert [t for t, _ in await bench.events(request_id)] == ["call_started", "call_connected"]


async def test_a_call_the_carrier_does_not_know_is_failed_and_retried(
    infra: ServerSet, fresh_schema: str,
) -> None:
    async with dialer_bench(infra.database_url, fresh_schema, OPENING, max_attempts=2) as bench:
        request_id = await bench.add_job(TENANTS[0], OPENING)
        dialer = bench.dialer(DialLimits())
        await bench.tick(dialer)
        [placed] = bench.carrier.placed
        bench.clock.advance(timedelta(seconds=121))  # ringing, and no callback since
        assert await dialer.check_with_carrier() == 1  # the carrier: no such call
        assert await bench.attempt_states(request_id) == ["failed"]
        failed = (await bench.events(request_id))[-1]
        assert failed[0] == "call_failed" and failed[1]["call_sid"] == placed.sid
        assert failed[1]["retry_at"] is not None
        assert (await bench.timer(request_id) or (0,))[0] == 2


@contextlib.asynccontextmanager
async def running(loop: DialerLoop) -> AsyncIterator[None]:
    task = asyncio.create_task(loop.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_call_that_ends_wakes_the_dialer_for_its_tenants_next_call(
    bench: Bench,
) -> None:
    first, second = [await bench.add_job(TENANTS[0], OPENING + timedelta(microseconds=k))
                     for k in range(2)]
    # Tokens to spare, one live call per tenant, and a sweep far longer than the test:
    # only the wake-up under test can dial the second call in time.
    bench.clock.advance(timedelta(seconds=1))  # both due
    limits = DialLimits(rate=DialRate(calls_per_second=1.0, burst=5), tenant_max_live=1)
    dialer = DialerLoop(bench.dialer(limits), dsn=bench.dsn, schema=bench.schema,
                        sweep_seconds=600)
    async with running(dialer):
        await eventually(lambda: len(bench.carrier.placed) == 1)
        await bench.callback(bench.carrier.placed[0], "busy")
        await eventually(lambda: len(bench.carrier.placed) == 2)
    assert [p.request_id for p in bench.carrier.placed] == [first, second]


async def test_a_dialer_held_by_the_rate_wakes_for_the_next_token(bench: Bench) -> None:
    first, second = [await bench.add_job(TENANTS[k], OPENING + timedelta(microseconds=k))
                     for k in range(2)]
    bench.clock.advance(timedelta(seconds=1))  # both due
    limits = DialLimits(rate=DialRate(calls_per_second=1.0), tenant_max_live=10)
    dialer = DialerLoop(bench.dialer(limits), dsn=bench.dsn, schema=bench.schema,
                        sweep_seconds=600)
    async with running(dialer):
        await eventually(lambda: len(bench.carrier.placed) == 1)
        bench.clock.advance(timedelta(seconds=1))
        await eventually(lambda: len(bench.carrier.placed) == 2)
    assert [(p.request_id, p.at - OPENING) for p in bench.carrier.placed] == [
        (first, timedelta(seconds=1)), (second, timedelta(seconds=2))]
