"""The tool usage projection: media-bridge's tool_used events on CALLS, consumed durably
(the inbox makes a redelivery count once), shown in the tool's answers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import nats
import pytest
from catalog_service.testing.api import CatalogApi
from nats.js import JetStreamContext
from ringbook.clock import FakeClock
from ringbook.contracts.calls import CONVERSATION
from ringbook.contracts.catalog import ToolUsed
from ringbook.events import Envelope, new_event
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.waiting import eventually

STARTED = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)


@pytest.fixture
async def js(infra: ServerSet, catalog: CatalogApi) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(infra.nats_url)
    try:
        yield nc.jetstream()
    finally:
        await nc.close()


def used(tool_id: uuid.UUID, tenant: uuid.UUID, ms: int, clock: FakeClock,
         at: datetime = STARTED) -> Envelope:
    conversation = uuid.uuid4()
    return new_event(
        ToolUsed(tool_id=tool_id, assistant_id=None, call_sid="CA1", started_at=at,
                 duration_ms=ms, status_code=200, ok=True),
        aggregate_id=conversation, version=1, tenant_id=tenant, correlation_id=conversation,
        clock=clock, aggregate=CONVERSATION)


async def publish(js: JetStreamContext, event: Envelope, msg_id: str | None = None) -> None:
    await js.publish(event.subject, event.to_json(),
                     headers={"Nats-Msg-Id": msg_id or str(event.id)})


async def test_uses_are_counted_once_and_shown_on_the_tool(
        catalog: CatalogApi, js: JetStreamContext, clock: FakeClock) -> None:
    tenant = uuid.uuid4()
    tool = await catalog.created("/api/tools/", tenant, {
        "name": "kalender", "endpoint": "https://api.calendar.com/v1"})
    tool_id = uuid.UUID(tool["id"])
    first = used(tool_id, tenant, 100, clock)
    await publish(js, first)
    await publish(js, first)  # dropped by JetStream's de-duplication window
    await publish(js, first, msg_id="beyond-the-window")  # dropped by the inbox
    await publish(js, used(tool_id, uuid.uuid4(), 5000, clock))  # another tenant's: ignored
    await publish(js, used(uuid.uuid4(), tenant, 5000, clock))  # no such tool: ignored
    # Sentinel: a later use behind all of the above on the stream.
    await publish(js, used(tool_id, tenant, 300, clock, at=STARTED + timedelta(minutes=5)))
    url = f"/api/tools/{tool['id']}"
    last: dict[str, object] = {}

    async def counted() -> bool:
        nonlocal last
        last = (await catalog.call("GET", url, tenant)).json()["data"]
        return last["total_calls"] == 2

    await eventually(counted, 20, poll=0.1, what=lambda: last)
    info = await js.consumer_info("CALLS", "catalog-tool-usage")

    async def drained() -> bool:
        info = await js.consumer_info("CALLS", "catalog-tool-usage")
        return info.num_pending == 0 and info.num_ack_pending == 0

    await eventually(drained, 20, poll=0.1, what="the consumer acked every message")
    last = (await catalog.call("GET", url, tenant)).json()["data"]
    assert last["total_calls"] == 2
    assert last["avg_response_time"] == 200.0
    assert last["last_used"] == "2026-01-15T10:05:00Z"
    assert info.config.filter_subject == "ringbook.calls.*.*.tool_used" or \
        info.config.filter_subjects == ["ringbook.calls.*.*.tool_used"]
    assert await catalog.count("dead_letters") == 0
    assert await catalog.pool.fetchval(
        "select count(*) from inbox where consumer = 'catalog-tool-usage'") == 4
