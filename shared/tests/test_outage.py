"""An outage is not the event's fault: Postgres or NATS unreachable for longer than every
backoff and ack wait put together loses nothing and dead-letters nothing; only a failure
caused by the event's own content counts towards its dead letter; work resumes by
itself once the server is back.

The fault is real: a TCP proxy between the worker and the server stops listening and
resets its connections, as a vanished host would. Settings are shrunk (3 deliveries,
1 s ack wait) so that a few seconds of outage outlast them many times over; the sleeps
below are the outage itself, never a stand-in for "nothing else happened" (that is
proved by every event being applied exactly once afterwards).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from prometheus_client import REGISTRY
from ringbook.contracts.streams import REQUESTS
from ringbook_devtools.testing.fault_proxy import FaultProxy
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.waiting import eventually

from shared.tests.consumer_harness import Harness, event, harness

# Three deliveries with their backoffs, and the ack wait, fit in this many times over.
OUTAGE_SECONDS = 6.0


@pytest.fixture
async def h(infra: ServerSet, fresh_schema: str, fresh_streams: None) -> AsyncIterator[Harness]:
    async with harness(infra, fresh_schema) as h:
        yield h


def paused(h: Harness) -> float | None:
    return REGISTRY.get_sample_value("ringbook_consumer_paused", {"consumer": h.durable})


def applied_once_each(h: Harness, expected: set[uuid.UUID]) -> bool:
    return h.applied_ids() >= expected


async def test_postgres_unreachable_for_longer_than_the_backoffs_loses_and_dead_letters_nothing(
    h: Harness, infra: ServerSet
) -> None:
    proxy = await FaultProxy.for_url(infra.database_url)
    try:
        await h.start_worker(database_url=proxy.url_through(h.database_url),
                             spec=h.spec(max_deliver=3, ack_wait_seconds=1.0))
        warm = event(uuid.uuid4(), 1)
        await h.publish(warm)
        await eventually(lambda: warm.id in h.applied_ids(), within=20)

        await proxy.cut()
        during = [event(uuid.uuid4(), 1) for _ in range(20)]
        bad = event(uuid.uuid4(), 1)
        h.refuse[bad.id] = "bug"  # fails by its content: that alone may dead-letter it
        await h.publish(*during[:10], bad, *during[10:])
        # It stops fetching rather than burn deliveries against a dead Postgres.
        await eventually(lambda: paused(h) == 1, within=20)
        await asyncio.sleep(OUTAGE_SECONDS)
        await proxy.restore()

        expected = {warm.id} | {e.id for e in during}
        await eventually(lambda: applied_once_each(h, expected), within=60)
        await eventually(lambda: bad.id in h.dead_lettered_ids(), within=30)
        assert paused(h) == 0
    finally:
        await proxy.close()
    counts = Counter(event_id for _, _, event_id in h.applied)
    assert set(counts) == expected and set(counts.values()) == {1}
    rows = await h.dead_letters()
    assert [r["event_id"] for r in rows] == [bad.id]
    # Counted are the content failures only, however often the outage redelivered it.
    assert rows[0]["reason"].startswith("failed 3 times: ContentBug")
    assert await h.admin.fetchval("select count(*) from delivery_failures") == 0


async def test_nats_unreachable_for_longer_than_the_backoffs_loses_and_dead_letters_nothing(
    h: Harness, infra: ServerSet
) -> None:
    proxy = await FaultProxy.for_url(infra.nats_url)
    nc = await nats.connect(proxy.url_through(infra.nats_url), max_reconnect_attempts=-1,
                            reconnect_time_wait=0.2, connect_timeout=1)
    try:
        await h.start_worker(js=nc.jetstream(), spec=h.spec(max_deliver=3, ack_wait_seconds=1.0))
        h.gate.clear()  # the first events are held in the handler, in flight
        before = [event(uuid.uuid4(), 1) for _ in range(10)]
        await h.publish(*before)
        await eventually(lambda: h.holding == 1, within=20)

        await proxy.cut()
        h.gate.set()  # they commit while their acks cannot reach the server
        during = [event(uuid.uuid4(), 1) for _ in range(10)]
        await h.publish(*during)  # straight to the server, not through the proxy
        await asyncio.sleep(OUTAGE_SECONDS)
        await proxy.restore()

        expected = {e.id for e in before + during}
        await eventually(lambda: applied_once_each(h, expected), within=60)
        sentinel = event(uuid.uuid4(), 1)
        await h.publish(sentinel)
        await eventually(lambda: sentinel.id in h.applied_ids(), within=30)
    finally:
        await nc.close()
        await proxy.close()
    counts = Counter(event_id for _, _, event_id in h.applied)
    assert set(counts) == expected | {sentinel.id} and set(counts.values()) == {1}
    assert await h.dead_letters() == []


async def test_a_consumer_the_previous_release_created_is_updated_to_redeliver_without_limit(
    h: Harness,
) -> None:
    # The previous release let JetStream stop after 10 deliveries, outages included.
    await h.js.add_consumer(REQUESTS.name, ConsumerConfig(
        durable_name=h.durable, ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL,
        filter_subjects=REQUESTS.subjects, max_deliver=10, ack_wait=30.0, max_ack_pending=1000))
    await h.start_worker()
    info = await h.js.consumer_info(REQUESTS.name, h.durable)
    assert info.config.max_deliver == -1
    sentinel = event(uuid.uuid4(), 1)  # and it still consumes
    await h.publish(sentinel)
    await eventually(lambda: sentinel.id in h.applied_ids(), within=20)
