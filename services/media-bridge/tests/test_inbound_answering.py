"""An inbound call is answered by whoever the dialled number (the stream grant's ``line``)
is configured for in the CATALOG projection: a call end to end through media-bridge
(real Postgres and NATS), the SIMULATED realtime model and a Twilio-like client, with
the catalog events published on the real stream. What the bridge told the model is read
from the simulated model's side of the socket, in order.

catalog-service plays no part in a call: media-bridge has no client of it at all (the
projection is fed by the CATALOG stream), so its being down cannot matter; a test
records every connection the bridge opens during a call to prove it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from bridge_harness import Bridge, bridge_serving, eventually, record_client_events
from catalog_feed import CatalogFeed, assistant, file_events, number, tool
from media_bridge.domain.assistant_session import FIRST_MESSAGE_PREFIX
from media_bridge.settings import DEFAULT_RECEPTIONIST_INSTRUCTIONS
from ringbook.contracts import catalog as c
from ringbook_devtools.testing.infra import ServerSet
from twilio_peer import SILENCE, TENANT, Twilio, completed_within

ASSISTANT_LINE, CLIENT_LINE, UNKNOWN_LINE = "+49305550170", "+49305550180", "+49305550199"
DELETED_LINE = "+49305550160"


@pytest.fixture
def client_events(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every client event the simulated model received, in order (audio appends by type
    only). Request it before anything that opens a model session."""
    return record_client_events(monkeypatch)


@pytest.fixture
async def bridge(infra: ServerSet, fresh_schema: str, fresh_streams: None,
                 client_events: list[dict[str, Any]]) -> AsyncIterator[Bridge]:
    async with bridge_serving(infra, fresh_schema, model_speed=10.0,
                              media_receive_timeout_seconds=10.0) as running:
        feed = CatalogFeed(infra.nats_url, TENANT)
        a, t, f = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        await feed.publish(
            feed.event(a, assistant(voice_speed=1.2, llm_model="gpt-4o", temperature=0.2,
                                    voice_provider="ElevenLabs")),
            feed.event(t, tool("https://tools.example.com/slots")),
            feed.event(a, c.AssistantToolLinked(tool_id=t)),
            *file_events(feed, f, "Praxisinfo.txt", "german", ["Montag bis Freitag offen."]),
            feed.event(a, c.AssistantFileLinked(file_id=f)),
            feed.event(uuid.uuid4(), number(ASSISTANT_LINE, a)),
            feed.event(uuid.uuid4(), c.ClientCreated(
                name="Salon Kamm", phone_number=CLIENT_LINE, profession="Friseur",
                system_prompt="Termine nur dienstags.", voice_name="Sage")))

        async def projected() -> bool:
            return bool(await running.pool.fetchval("select count(*) from numbers") == 2
                        and await running.pool.fetchval(
                            "select count(*) from knowledge_files where status = 'processed'"))

        await eventually(projected, 10, what="the catalog projected")
        yield running


async def answer(bridge: Bridge, events: list[dict[str, Any]], n: int,
                 line: str | None) -> list[dict[str, Any]]:
    """A call to ``line``: started, then the caller's first frames (the sentinel: they
    reach the model only after the bridge's start-up messages), then hung up. The
    client events up to the first audio."""
    async with bridge.connect() as ws:
        twilio = Twilio(ws, n)
        await twilio.start(tenant_id=str(TENANT), **({"line": line} if line else {}))
        await twilio.frames([SILENCE] * 5)

        async def heard() -> bool:
            return any(e["type"] == "input_audio_buffer.append" for e in events)

        await eventually(heard, 10, what="the caller's audio at the model")
        await twilio.stop()
        await asyncio.wait_for(ws.wait_closed(), 10)
    completed = await completed_within(bridge, 10)
    assert completed["call_sid"] == twilio.call_sid
    first_audio = next(i for i, e in enumerate(events)
                       if e["type"] == "input_audio_buffer.append")
    return events[:first_audio]


def berlin_today() -> str:
    return datetime.now(ZoneInfo("Europe/Berlin")).date().isoformat()


async def test_the_numbers_assistant_answers_with_its_instructions_tools_voice_and_greeting(
    bridge: Bridge, client_events: list[dict[str, Any]]
) -> None:
    before_audio = await answer(bridge, client_events, 1, ASSISTANT_LINE)
    assert [e["type"] for e in before_audio] == ["session.update", "response.create"]
    session = before_audio[0]["session"]
    lines = session["instructions"].splitlines()
    assert lines[0] == "Du bist die Rezeption der Praxis."
    assert any(line.startswith("Today is ") and line.endswith(f"{berlin_today()}.")
               for line in lines)
    assert "Speak German (de-DE)." in lines
    assert [t["name"] for t in session["tools"]] == ["check_slots", "search_knowledge",
                                                    "end_call"]
    assert session["tools"][0]["parameters"]["required"] == ["day"]
    assert session["audio"]["output"]["voice"] == "coral"
    assert session["audio"]["output"]["speed"] == 1.2
    assert session["max_output_tokens"] == 500
    assert "temperature" not in session  # not_in_effect says so: the GA API has none
    assert before_audio[1]["response"] == {
        "instructions": FIRST_MESSAGE_PREFIX + assistant().first_message}
    row = await bridge.pool.fetchrow("select aggregate, tenant_id from events"
                                     " where type = 'call_completed'")
    assert (row["aggregate"], row["tenant_id"]) == ("inbound_call", TENANT)


async def test_a_clients_number_gets_its_receptionist(
    bridge: Bridge, client_events: list[dict[str, Any]]
) -> None:
    [update] = await answer(bridge, client_events, 2, CLIENT_LINE)  # no greeting first
    session = update["session"]
    assert session["instructions"].splitlines()[:2] == [
        "You answer the phone for Salon Kamm, Friseur.", "Termine nur dienstags."]
    assert [t["name"] for t in session["tools"]] == ["end_call"]
    assert session["audio"]["output"] == {"format": {"type": "audio/pcmu"}, "voice": "sage"}
    assert "max_output_tokens" not in session


@pytest.mark.parametrize("line", [UNKNOWN_LINE, None], ids=["configured-nowhere", "no-line"])
async def test_any_other_call_gets_the_default_receptionist(
    bridge: Bridge, client_events: list[dict[str, Any]], line: str | None
) -> None:
    [update] = await answer(bridge, client_events, 3, line)
    session = update["session"]
    assert session["instructions"] == DEFAULT_RECEPTIONIST_INSTRUCTIONS
    assert [t["name"] for t in session["tools"]] == ["end_call"]
    assert session["audio"]["output"]["voice"] == "marin"  # REALTIME_VOICE


async def test_a_number_whose_assistant_was_deleted_gets_the_default_receptionist(
    bridge: Bridge, client_events: list[dict[str, Any]], infra: ServerSet
) -> None:
    feed = CatalogFeed(infra.nats_url, TENANT)
    a = uuid.uuid4()
    # Only the deletion: catalog-service's phone_number_updated (assistant None) may come
    # later or not at all, and the number must not keep a deleted assistant meanwhile.
    await feed.publish(feed.event(a, assistant(system_prompt="Gelöschte Rezeption.")),
                       feed.event(uuid.uuid4(), number(DELETED_LINE, a)),
                       feed.event(a, c.AssistantDeleted()))

    async def deleted() -> bool:
        return bool(await bridge.pool.fetchval(
            "select count(*) from numbers where number = $1", DELETED_LINE)
            and not await bridge.pool.fetchval(
                "select count(*) from assistants where assistant_id = $1", a))

    await eventually(deleted, 10, what="the deletion projected")
    [update] = await answer(bridge, client_events, 4, DELETED_LINE)
    assert update["session"]["instructions"] == DEFAULT_RECEPTIONIST_INSTRUCTIONS
    assert [t["name"] for t in update["session"]["tools"]] == ["end_call"]


async def test_a_call_opens_no_connection_but_to_postgres_nats_the_model_and_the_orchestrator(
    bridge: Bridge, client_events: list[dict[str, Any]], infra: ServerSet,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """catalog-service is not running in this test at all (down, as far as the bridge
    could tell): every TCP connection the process opens during an assistant's call is
    recorded, and each goes to a peer the call needs, none to anything else."""
    opened: list[tuple[str, int]] = []
    loop = asyncio.get_running_loop()
    create_connection = type(loop).create_connection

    async def recording(self: asyncio.AbstractEventLoop, protocol_factory: Any,
                        host: str | None = None, port: int | None = None,
                        *args: Any, **kwargs: Any) -> Any:
        opened.append((str(host), int(port or 0)))
        return await create_connection(self, protocol_factory, host, port, *args, **kwargs)

    monkeypatch.setattr(type(loop), "create_connection", recording)
    before_audio = await answer(bridge, client_events, 5, ASSISTANT_LINE)
    assert before_audio[0]["session"]["instructions"].startswith("Du bist die Rezeption")

    def port_of(url: str) -> int:
        return urlsplit(url).port or 0

    bridge_port = port_of(bridge.url)  # the test's own Twilio connects to it
    allowed = {port_of(infra.database_url), port_of(infra.nats_url),
               port_of(bridge.model.base_url), port_of(bridge.orchestrator_url), bridge_port}
    assert ("127.0.0.1", port_of(bridge.model.base_url)) in opened  # the recording works
    assert {port for _, port in opened} <= allowed, opened
