"""The event pipeline against real Postgres and a real nats-server:
append -> outbox -> relay -> JetStream -> durable pull worker -> handler, exactly once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
import nats
import pytest
from ringbook.bus.worker import ConsumerSpec, PoisonEvent
from ringbook.clock import FakeClock
from ringbook.contracts.requests import RequestCanceled
from ringbook.contracts.streams import REQUESTS
from ringbook.events import Envelope, new_event
from ringbook.runtime import ServiceRuntime
from ringbook.settings import ServiceSettings
from ringbook.store import event_store
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.plugin import settings_for
from ringbook_devtools.testing.waiting import eventually

CLOCK = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


def canceled(aggregate_id: uuid.UUID, version: int, reason: str = "x") -> Envelope:
    return new_event(
        RequestCanceled(reason=reason),
        aggregate_id=aggregate_id,
        version=version,
        tenant_id=uuid.uuid4(),
        correlation_id=aggregate_id,
        clock=CLOCK,
    )


@pytest.fixture
async def runtime(infra: ServerSet, fresh_schema: str, fresh_streams: None):  # type: ignore[no-untyped-def]
    handled: list[Envelope] = []

    async def handler(conn: asyncpg.Connection, event: Envelope) -> None:
        if isinstance(event.data, RequestCanceled) and event.data.reason == "poison":
            raise PoisonEvent("test poison")
        handled.append(event)

    rt = ServiceRuntime(
        settings=settings_for(infra, ServiceSettings, service="pipeline-test", schema=fresh_schema),
        migrations_dir=None,
        streams=[REQUESTS],
    )
    rt.add_consumer(ConsumerSpec(durable=f"test_{fresh_schema}", stream=REQUESTS), handler)
    await rt.start()
    await rt.wait_bus_ready(10)
    rt.handled = handled  # type: ignore[attr-defined]
    yield rt
    await rt.stop()


async def test_appended_events_are_published_and_handled_once(runtime: ServiceRuntime) -> None:
    agg = uuid.uuid4()
    events = [canceled(agg, 1), canceled(agg, 2)]
    async with runtime.pool.acquire() as conn, conn.transaction():
        await event_store.append(conn, events)

    async def both_handled() -> bool:
        return len(runtime.handled) == 2  # type: ignore[attr-defined]

    await eventually(both_handled)
    assert [e.id for e in runtime.handled] == [e.id for e in events]  # type: ignore[attr-defined]

    async def outbox_drained() -> bool:
        # The relay marks rows after JetStream acks, which may be after the handler ran.
        return await runtime.pool.fetchval(
            "select count(*) from outbox where published_at is null") == 0

    await eventually(outbox_drained)

    # A duplicate publish beyond the de-dup window (simulated by a different msg id)
    # is dropped by the inbox: the handler does not run again.
    assert runtime.js is not None
    await runtime.js.publish(events[0].subject, events[0].to_json(), headers={"Nats-Msg-Id": "other"})
    # Sentinel: a later event on the same stream; once it is handled, so is the duplicate.
    sentinel = canceled(uuid.uuid4(), 1)
    await runtime.js.publish(sentinel.subject, sentinel.to_json(), headers={"Nats-Msg-Id": str(sentinel.id)})

    async def sentinel_handled() -> bool:
        return len(runtime.handled) >= 3  # type: ignore[attr-defined]

    await eventually(sentinel_handled)
    assert [e.id for e in runtime.handled] == [e.id for e in [*events, sentinel]]  # type: ignore[attr-defined]
    assert await runtime.pool.fetchval("select count(*) from inbox") == 3


async def test_concurrent_writers_on_one_version_exactly_one_wins(runtime: ServiceRuntime) -> None:
    agg = uuid.uuid4()

    async def write(reason: str) -> str:
        try:
            async with runtime.pool.acquire() as conn, conn.transaction():
                await event_store.append(conn, [canceled(agg, 1, reason)])
            return "won"
        except event_store.ConcurrencyConflict:
            return "lost"

    results = await asyncio.gather(*(write(f"w{i}") for i in range(8)))
    assert sorted(results) == ["lost"] * 7 + ["won"]
    async with runtime.pool.acquire() as conn:
        assert await event_store.current_version(conn, agg) == 1


async def test_a_batch_with_one_taken_version_stores_nothing_and_names_it(
        runtime: ServiceRuntime) -> None:
    # Many events go as one executemany; one clash must still fail them all.
    taken, fresh = uuid.uuid4(), uuid.uuid4()
    async with runtime.pool.acquire() as conn:
        async with conn.transaction():
            await event_store.append(conn, [canceled(taken, 1)])
        batch = [*(canceled(uuid.uuid4(), 1) for _ in range(50)), canceled(taken, 1),
                 canceled(fresh, 1)]
        with pytest.raises(event_store.ConcurrencyConflict) as raised:
            async with conn.transaction():
                await event_store.append(conn, batch)
        assert (raised.value.aggregate_id, raised.value.version) == (taken, 1)
        assert await conn.fetchval("select count(*) from events") == 1
        assert await conn.fetchval("select count(*) from outbox") == 1
        async with conn.transaction():
            await event_store.append(conn, [e for e in batch if e.aggregate_id != taken])
        assert await conn.fetchval("select count(*) from events") == 52
        assert await conn.fetchval("select count(*) from outbox") == 52


async def test_events_are_append_only(runtime: ServiceRuntime) -> None:
    agg = uuid.uuid4()
    async with runtime.pool.acquire() as conn:
        async with conn.transaction():
            await event_store.append(conn, [canceled(agg, 1)])
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("update events set type = 'x'")


async def test_poison_and_garbage_are_dead_lettered_and_do_not_block(runtime: ServiceRuntime) -> None:
    agg = uuid.uuid4()
    assert runtime.js is not None
    await runtime.js.publish(f"ringbook.requests.request.{agg}.bogus", b"{not json")
    await runtime.js.publish(f"ringbook.requests.request.{agg}.unknown", b'{"type": "no_such_type"}')
    async with runtime.pool.acquire() as conn, conn.transaction():
        await event_store.append(conn, [canceled(agg, 1, "poison"), canceled(agg, 2, "fine")])

    async def fine_handled() -> bool:
        return any(e.version == 2 for e in runtime.handled)  # type: ignore[attr-defined]

    await eventually(fine_handled)

    async def three_dead() -> bool:
        return await runtime.pool.fetchval("select count(*) from dead_letters") == 3

    await eventually(three_dead)
    reasons = [r["reason"] for r in await runtime.pool.fetch("select reason from dead_letters order by stream_seq")]
    assert reasons[0].startswith("undecodable") and "unknown event type" in reasons[1]
    assert reasons[2].startswith("poison")


async def test_accepted_events_survive_nats_being_down(
    infra: ServerSet, runtime: ServiceRuntime
) -> None:
    if infra.nats is None:
        pytest.skip("needs the embedded nats-server to kill and restart")
    infra.nats.kill()
    # The service has seen NATS go: what it accepts now cannot be published yet.
    await eventually(lambda: runtime.nc is not None and not runtime.nc.is_connected)
    agg = uuid.uuid4()
    async with runtime.pool.acquire() as conn, conn.transaction():
        await event_store.append(conn, [canceled(agg, 1)])
    assert await runtime.pool.fetchval("select count(*) from outbox where published_at is null") == 1
    infra.nats.start()

    async def handled() -> bool:
        return any(e.aggregate_id == agg for e in runtime.handled)  # type: ignore[attr-defined]

    await eventually(handled, 30)
    nc = await nats.connect(infra.nats_url)
    info = await nc.jetstream().stream_info("REQUESTS")
    await nc.close()
    assert info.state.messages == 1
