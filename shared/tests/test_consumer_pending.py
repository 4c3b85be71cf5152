"""A consumer's lag in messages (``ringbook_consumer_pending``), against a real
nats-server: it reads what JetStream still holds while a backlog is worked off, and 0
once the consumer has caught up (the alert RingbookConsumerLag reads it)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from prometheus_client import REGISTRY
from ringbook.bus.worker import ConsumerSpec
from ringbook.clock import SystemClock
from ringbook.contracts.requests import RequestCanceled
from ringbook.contracts.streams import REQUESTS
from ringbook.events import Envelope, new_event
from ringbook.runtime import ServiceRuntime
from ringbook.settings import ServiceSettings
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.plugin import settings_for
from ringbook_devtools.testing.waiting import eventually

BACKLOG = 300


def pending(durable: str) -> float | None:
    return REGISTRY.get_sample_value("ringbook_consumer_pending", {"consumer": durable})


@pytest.fixture
def gate() -> asyncio.Event:
    return asyncio.Event()


@pytest.fixture
async def runtime(infra: ServerSet, fresh_schema: str, fresh_streams: None,
                  gate: asyncio.Event) -> AsyncIterator[ServiceRuntime]:
    durable = f"pending_{fresh_schema}"
    seen: list[float] = []

    async def handler(conn: asyncpg.Connection, event: Envelope) -> None:
        await gate.wait()  # the backlog builds up behind the first event
        seen.append(pending(durable) or 0.0)

    rt = ServiceRuntime(
        settings=settings_for(infra, ServiceSettings, service="pending-test",
                              schema=fresh_schema),
        migrations_dir=None, streams=[REQUESTS], relay=False)
    rt.add_consumer(ConsumerSpec(durable=durable, stream=REQUESTS), handler)
    await rt.start()
    await rt.wait_bus_ready(10)
    rt.seen, rt.durable = seen, durable  # type: ignore[attr-defined]
    yield rt
    await rt.stop()


async def test_the_backlog_is_read_while_it_is_worked_off_and_0_once_caught_up(
        runtime: ServiceRuntime, gate: asyncio.Event) -> None:
    assert runtime.js is not None
    tenant, clock = uuid.uuid4(), SystemClock()
    for _ in range(BACKLOG):  # one aggregate each: nothing waits for an earlier version
        agg = uuid.uuid4()
        event = new_event(RequestCanceled(reason="x"), aggregate_id=agg, version=1,
                          tenant_id=tenant, correlation_id=agg, clock=clock)
        await runtime.js.publish(event.subject, event.to_json(),
                                 headers={"Nats-Msg-Id": str(event.id)})
    gate.set()
    seen: list[float] = runtime.seen  # type: ignore[attr-defined]
    await eventually(lambda: len(seen) == BACKLOG, within=30, what=lambda: len(seen))
    # At the second fetch at the latest every event was in the stream: the fetch after it
    # had to report what was left beyond its batch.
    assert max(seen) >= BACKLOG - 3 * 64
    await eventually(lambda: pending(runtime.durable) == 0,  # type: ignore[attr-defined]
                     within=10, what=lambda: pending(runtime.durable))  # type: ignore[attr-defined]
