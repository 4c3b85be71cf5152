"""A pool that does not NOTIFY, and the waker that stands in for it (ringbook.store.outbox_wake).

The relays here sweep only every 60 s, so an event published within the test's bound was
published because of a wake, never because of the safety sweep.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
import nats
import pytest
from ringbook.bus.streams import ensure_stream
from ringbook.clock import FakeClock
from ringbook.contracts.requests import RequestCanceled
from ringbook.contracts.streams import REQUESTS
from ringbook.events import new_event
from ringbook.store import event_store
from ringbook.store.database import create_pool
from ringbook.store.migrations import migrate
from ringbook.store.outbox_relay import OutboxRelay
from ringbook.store.outbox_wake import OutboxWaker
from ringbook.tasks import TaskSupervisor
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.waiting import eventually

CLOCK = FakeClock(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
SWEEP_SECONDS = 60.0  # longer than any bound below


async def commit_one(pool: asyncpg.Pool) -> None:
    aggregate_id = uuid.uuid4()
    event = new_event(RequestCanceled(reason="wake-test"), aggregate_id=aggregate_id,
                      version=1, tenant_id=uuid.uuid4(), correlation_id=aggregate_id,
                      clock=CLOCK)
    async with pool.acquire() as conn, conn.transaction():
        await event_store.append(conn, [event])


@pytest.fixture
async def schema(infra: ServerSet, fresh_schema: str, fresh_streams: None) -> str:
    await migrate(infra.database_url, fresh_schema, None)
    nc = await nats.connect(infra.nats_url)
    await ensure_stream(nc.jetstream(), REQUESTS, replicas=1)
    await nc.close()
    return fresh_schema


async def heard_before_marker(infra: ServerSet, schema: str, pool: asyncpg.Pool) -> list[str]:
    """What the relay's channel carried for one commit through ``pool``. A marker is sent
    from another session after that commit: notifications are delivered in commit order,
    so once the marker is heard, any notification of the commit has been heard too."""
    channel = f"ringbook_outbox_{schema}"
    heard: list[str] = []
    marker = asyncio.Event()
    listener = await asyncpg.connect(infra.database_url)

    def on_notify(_: object, __: int, ___: str, payload: str) -> None:
        if payload == "marker":
            marker.set()
        else:
            heard.append(payload)

    try:
        await listener.add_listener(channel, on_notify)
        await commit_one(pool)
        await listener.execute("select pg_notify($1, 'marker')", channel)
        await asyncio.wait_for(marker.wait(), 10)
    finally:
        await listener.close()
    return heard


async def test_a_pool_that_opts_out_commits_without_notifying(infra: ServerSet,
                                                              schema: str) -> None:
    quiet = await create_pool(infra.database_url, schema=schema, notify_outbox=False)
    loud = await create_pool(infra.database_url, schema=schema)
    try:
        assert await heard_before_marker(infra, schema, quiet) == []
        assert await heard_before_marker(infra, schema, loud) == [""]
    finally:
        await quiet.close()
        await loud.close()


async def test_the_leading_relay_is_woken_in_process(infra: ServerSet, schema: str) -> None:
    pool = await create_pool(infra.database_url, schema=schema, notify_outbox=False)
    nc = await nats.connect(infra.nats_url)
    relay = OutboxRelay(dsn=infra.database_url, schema=schema, js=nc.jetstream(),
                        safety_interval=SWEEP_SECONDS, session_idle_timeout=SWEEP_SECONDS * 2)
    waker = OutboxWaker(pool=pool, schema=schema,
                        leading_relay=lambda: relay.wake if relay.leading else None)
    tasks = TaskSupervisor()
    try:
        tasks.spawn("relay", relay.run())
        tasks.spawn("waker", waker.run())
        await eventually(lambda: relay.leading, what="the relay leads", within=10)
        for n in range(1, 4):
            await commit_one(pool)
            waker.written()
            await eventually(lambda n=n: relay.published == n, what=f"event {n} published",
                             within=10)
        assert waker.notified == 0  # no NOTIFY needed while this process leads
    finally:
        await tasks.stop()
        await nc.close()
        await pool.close()


async def test_another_replicas_leader_is_woken_by_one_notify(infra: ServerSet,
                                                              schema: str) -> None:
    pool = await create_pool(infra.database_url, schema=schema, notify_outbox=False)
    nc = await nats.connect(infra.nats_url)
    leader = OutboxRelay(dsn=infra.database_url, schema=schema, js=nc.jetstream(),
                         safety_interval=SWEEP_SECONDS, session_idle_timeout=SWEEP_SECONDS * 2)
    # This process's relay does not lead: the leader above belongs to "another replica".
    waker = OutboxWaker(pool=pool, schema=schema, leading_relay=lambda: None)
    tasks = TaskSupervisor()
    try:
        tasks.spawn("leader", leader.run())
        tasks.spawn("waker", waker.run())
        await eventually(lambda: leader.leading, what="the other replica leads", within=10)
        for _ in range(5):
            await commit_one(pool)
            waker.written()
        await eventually(lambda: leader.published == 5, what="all five published", within=10)
        # One NOTIFY in flight at a time covers every commit made meanwhile.
        assert 1 <= waker.notified <= 5
    finally:
        await tasks.stop()
        await nc.close()
        await pool.close()
