"""The outbox relay's leadership against a leader that vanished without closing its socket.

Two relays share a schema; the leader reaches Postgres through a TCP proxy that then
blackholes (stops forwarding, keeps the sockets open), as a host that lost power or a
network partition looks to Postgres. Postgres itself must end that session, so the
standby takes the advisory lock and publishes what was committed meanwhile.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import nats
import pytest
from nats.aio.client import Client as NATS
from ringbook.bus.streams import ensure_stream
from ringbook.clock import FakeClock
from ringbook.contracts.requests import RequestCanceled
from ringbook.contracts.streams import REQUESTS
from ringbook.events import new_event
from ringbook.store import event_store
from ringbook.store.migrations import migrate
from ringbook.store.outbox_relay import OutboxRelay
from ringbook.tasks import TaskSupervisor
from ringbook_devtools.testing.fault_proxy import FaultProxy
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.waiting import eventually

CLOCK = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
# The promise is "replaced within 30 s"; the margin absorbs a loaded CI machine.
FAILOVER_WITHIN_SECONDS = 45.0


async def append_one(conn: asyncpg.Connection) -> uuid.UUID:
    aggregate_id = uuid.uuid4()
    event = new_event(RequestCanceled(reason="relay-test"), aggregate_id=aggregate_id,
                      version=1, tenant_id=uuid.uuid4(), correlation_id=aggregate_id,
                      clock=CLOCK)
    async with conn.transaction():
        await event_store.append(conn, [event])
    return event.id


@pytest.fixture
async def outbox_schema(infra: ServerSet, fresh_schema: str, fresh_streams: None) -> str:
    await migrate(infra.database_url, fresh_schema, None)
    nc = await nats.connect(infra.nats_url)
    await ensure_stream(nc.jetstream(), REQUESTS, replicas=1)
    await nc.close()
    return fresh_schema


@pytest.fixture
async def nats_clients(infra: ServerSet) -> AsyncIterator[list[NATS]]:
    clients: list[NATS] = []
    yield clients
    for nc in clients:
        await nc.close()


async def test_a_leader_that_vanishes_without_closing_its_socket_is_replaced(
    infra: ServerSet, outbox_schema: str, nats_clients: list[NATS]
) -> None:
    proxy = await FaultProxy.for_url(infra.database_url)
    tasks = TaskSupervisor()
    writer = await asyncpg.connect(infra.database_url,
                                   server_settings={"search_path": outbox_schema})
    for _ in range(2):
        nats_clients.append(await nats.connect(infra.nats_url))
    leader = OutboxRelay(dsn=proxy.url_through(infra.database_url), schema=outbox_schema,
                         js=nats_clients[0].jetstream())
    standby = OutboxRelay(dsn=infra.database_url, schema=outbox_schema,
                          js=nats_clients[1].jetstream())
    try:
        tasks.spawn("relay:leader", leader.run())
        first = await append_one(writer)
        # Alone, the first relay leads: it publishes the first row.
        await eventually(lambda: leader.published == 1, within=15)
        tasks.spawn("relay:standby", standby.run())

        proxy.blackhole()
        second = await append_one(writer)

        await eventually(lambda: standby.published >= 1, within=FAILOVER_WITHIN_SECONDS)
        js = nats_clients[1].jetstream()
        stored = {uuid.UUID((await js.get_msg(REQUESTS.name, seq)).headers["Nats-Msg-Id"])
                  for seq in (1, 2)}
        assert stored == {first, second}
        assert await writer.fetchval(
            "select count(*) from outbox where published_at is null") == 0
    finally:
        await proxy.close()
        await tasks.stop()
        await writer.close()
