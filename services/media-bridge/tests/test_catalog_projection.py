"""media-bridge's CATALOG projection (consumer media-bridge-catalog) from events published
on the real stream, read back the way a call reads it (``PostgresCatalogView``): version
order per aggregate, redeliveries without a second effect, links before their tools,
deletions dropping links and passages whatever order they come in, clients' numbers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from bridge_harness import Bridge, bridge_serving, eventually
from catalog_feed import CatalogFeed, assistant, file_events, number, tool
from media_bridge.adapters.catalog_view import PostgresCatalogView
from media_bridge.domain.assistant_session import AssistantProfile, ClientProfile
from ringbook.contracts import catalog as c
from ringbook_devtools.testing.infra import ServerSet

TENANT = uuid.UUID("0195f7a2-0000-7000-8000-00000000cccc")
OTHER_TENANT = uuid.UUID("0195f7a2-0000-7000-8000-00000000dddd")
LINE = "+49305550170"


@pytest.fixture
async def bridge(infra: ServerSet, fresh_schema: str, fresh_streams: None
                 ) -> AsyncIterator[Bridge]:
    async with bridge_serving(infra, fresh_schema) as running:
        yield running


@pytest.fixture
def feed(infra: ServerSet) -> CatalogFeed:
    return CatalogFeed(infra.nats_url, TENANT)


async def value(bridge: Bridge, sql: str, *args: Any) -> Any:
    return await bridge.pool.fetchval(sql, *args)


async def until(bridge: Bridge, sql: str, *args: Any, equals: Any = True,
                what: str = "") -> None:
    async def reached() -> bool:
        return bool(await value(bridge, sql, *args) == equals)

    await eventually(reached, 10, what=what or sql)


async def test_snapshots_apply_in_version_order_and_redeliveries_change_nothing(
    bridge: Bridge, feed: CatalogFeed
) -> None:
    a = uuid.uuid4()
    v1 = feed.event(a, assistant(name="First"))
    v2 = feed.event(a, c.AssistantUpdated(**{**assistant().model_dump(), "name": "Second"}))
    v3 = feed.event(a, c.AssistantUpdated(**{**assistant().model_dump(), "name": "Third"}))
    await feed.publish(v1, v3, v2)  # v3 overtakes v2 on the stream
    await until(bridge, "select config->>'name' from assistants where assistant_id = $1", a,
                equals="Third", what="the newest snapshot, applied last")

    tool_id = uuid.uuid4()
    linked = feed.event(a, c.AssistantToolLinked(tool_id=tool_id))
    unlinked = feed.event(a, c.AssistantToolUnlinked(tool_id=tool_id))
    await feed.publish(linked, unlinked)
    # Redelivered (new message ids, so JetStream's de-duplication does not catch them):
    # an older snapshot, and the link after its unlink.
    await feed.publish(v2, v1, linked, again=True)
    sentinel = uuid.uuid4()
    await feed.emit(sentinel, number("+49305550171", None))
    await until(bridge, "select count(*) from numbers where source_id = $1", sentinel, equals=1,
                what="the sentinel behind the redeliveries")
    assert await value(bridge, "select config->>'name' from assistants") == "Third"
    assert await value(bridge, "select updated_at from assistants") == v3.occurred_at
    assert await value(bridge, "select count(*) from assistant_tools") == 0


async def test_a_link_before_its_tool_joins_when_the_tool_arrives(
    bridge: Bridge, feed: CatalogFeed
) -> None:
    view = PostgresCatalogView(bridge.pool)
    a, t, n = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await feed.emit(a, assistant())
    await feed.emit(a, c.AssistantToolLinked(tool_id=t))  # the tool is not known yet
    await feed.emit(n, number(LINE, a))
    await until(bridge, "select count(*) from numbers", equals=1)
    await until(bridge, "select count(*) from assistant_tools", equals=1)
    answer = await view.answering(LINE)
    assert isinstance(answer, AssistantProfile) and answer.tools == ()

    await feed.emit(t, tool("https://tools.example.com/slots"))
    await until(bridge, "select count(*) from tools", equals=1)
    answer = await view.answering(LINE)
    assert isinstance(answer, AssistantProfile)
    assert [x.name for x in answer.tools] == ["check_slots"]
    assert answer.tools[0].endpoint == "https://tools.example.com/slots"
    assert answer.first_message == assistant().first_message and answer.voice_id == "coral"


async def test_deletions_drop_links_and_passages_in_any_order(
    bridge: Bridge, feed: CatalogFeed
) -> None:
    view = PostgresCatalogView(bridge.pool)
    a, f, t, n = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await feed.publish(feed.event(a, assistant()),
                       *file_events(feed, f, "Preise.txt", "german",
                                    ["Eine Reinigung kostet 90 Euro."]),
                       feed.event(t, tool("https://tools.example.com/slots")),
                       feed.event(a, c.AssistantFileLinked(file_id=f)),
                       feed.event(a, c.AssistantToolLinked(tool_id=t)),
                       feed.event(n, number(LINE, a)))
    await until(bridge, "select count(*) from numbers", equals=1)
    await until(bridge, "select count(*) from assistant_files", equals=1)
    await until(bridge, "select count(*) from assistant_tools", equals=1)
    await until(bridge, "select count(*) from knowledge_chunks", equals=1)
    answer = await view.answering(LINE)
    assert isinstance(answer, AssistantProfile) and answer.has_knowledge and answer.tools

    await feed.publish(feed.event(f, c.FileDeleted()), feed.event(t, c.ToolDeleted()))
    await until(bridge, "select count(*) from knowledge_files", equals=0)
    await until(bridge, "select count(*) from tools", equals=0)
    assert await value(bridge, "select count(*) from knowledge_chunks") == 0
    assert await value(bridge, "select count(*) from assistant_files") == 0
    assert await value(bridge, "select count(*) from assistant_tools") == 0

    # Links to them that arrive after their deletion are not kept; then a sentinel.
    await feed.publish(feed.event(a, c.AssistantFileLinked(file_id=f)),
                       feed.event(a, c.AssistantToolLinked(tool_id=t)),
                       feed.event(a, c.AssistantUpdated(**{**assistant().model_dump(),
                                                          "name": "After"})))
    await until(bridge, "select config->>'name' from assistants", equals="After")
    assert await value(bridge, "select count(*) from assistant_files") == 0
    assert await value(bridge, "select count(*) from assistant_tools") == 0
    answer = await view.answering(LINE)
    assert isinstance(answer, AssistantProfile)
    assert not answer.has_knowledge and answer.tools == ()

    # The assistant's own deletion: the number falls back to the default receptionist.
    await feed.emit(a, c.AssistantDeleted())
    await until(bridge, "select count(*) from assistants", equals=0)
    assert await view.answering(LINE) is None


async def test_client_numbers_released_numbers_and_tenants(
    bridge: Bridge, feed: CatalogFeed
) -> None:
    view = PostgresCatalogView(bridge.pool)
    client = uuid.uuid4()
    state = {"name": "Salon Kamm", "phone_number": "+49305550180", "profession": "Friseur",
             "system_prompt": "Termine nur dienstags.", "voice_name": "Sage"}
    await feed.emit(client, c.ClientCreated(**state))
    await until(bridge, "select count(*) from clients", equals=1)
    answer = await view.answering("+49305550180")
    assert isinstance(answer, ClientProfile)
    assert (answer.name, answer.profession, answer.voice_name) == ("Salon Kamm", "Friseur",
                                                                    "Sage")
    await feed.emit(client, c.ClientUpdated(**{**state, "phone_number": "+49305550181"}))
    await until(bridge, "select number from numbers where source_id = $1", client,
                equals="+49305550181")
    assert await view.answering("+49305550180") is None
    assert isinstance(await view.answering("+49305550181"), ClientProfile)
    await feed.emit(client, c.ClientDeleted(phone_number="+49305550181"))
    await until(bridge, "select count(*) from clients", equals=0)
    assert await view.answering("+49305550181") is None

    # A number routed to another tenant's assistant answers with neither.
    theirs, ours = uuid.uuid4(), uuid.uuid4()
    await feed.emit(theirs, assistant(name="Not yours"), tenant_id=OTHER_TENANT)
    await feed.emit(ours, number("+49305550182", theirs))
    await until(bridge, "select count(*) from numbers where source_id = $1", ours, equals=1)
    await until(bridge, "select count(*) from assistants", equals=1)
    assert await view.answering("+49305550182") is None

    await feed.emit(ours, c.PhoneNumberReleased(phone_number="+49305550182"))
    await until(bridge, "select count(*) from numbers where source_id = $1", ours, equals=0)
    assert await value(bridge, "select count(*) from catalog_ended where aggregate_id = $1",
                       ours) == 1
