"""An assistant's tools during a call, driven with the model's events: ``AgentTurns`` and
``CallTools`` as a call runs them, the assistant read from the CATALOG projection
(events published on the real stream), its HTTP tools called on a real HTTP server
(127.0.0.1, allowed by the development setting), ``tool_used`` appended through the
conversation's log to the real event table and CALLS stream. The model's side is the
RealtimeModel port in memory: the simulated model cannot call a business's tools yet,
so the call is driven here, event by event, as the model would."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from bridge_harness import Bridge, bridge_serving, eventually
from catalog_feed import (
    BOX,
    SIGNING_SECRET,
    TOOL_TOKEN,
    CatalogFeed,
    assistant,
    file_events,
    number,
    tool,
)
from media_bridge.adapters.catalog_view import PostgresCatalogView
from media_bridge.adapters.conversation_repository import PostgresConversationStore
from media_bridge.adapters.http_tools import HttpToolRequests, tool_http_client
from media_bridge.application.agent_turns import AgentTurns
from media_bridge.application.assistant_tools import AssistantServices, AssistantTools
from media_bridge.application.call_tools import CallTools
from media_bridge.application.conversation_log import ConversationLog
from media_bridge.domain.assistant_session import AssistantProfile
from media_bridge.domain.call_facts import CallFacts
from media_bridge.domain.call_stream import EndReason
from media_bridge.domain.model_events import AudioDelta, FunctionCall, ResponseDone
from ringbook.clock import SystemClock
from ringbook.contracts import catalog as c
from ringbook.tasks import TaskSupervisor
from ringbook.tool_signature import verify
from ringbook_devtools.testing.infra import ServerSet
from test_conversation_bridge import calls_events
from tool_doubles import MemoryMediaSocket, RecordingModel, ToolServer, caller_line, tool_server

TENANT = uuid.UUID("0195f7a2-0000-7000-8000-00000000eeee")
LINE = "+49305550190"


@dataclass
class Call:
    turns: AgentTurns
    model: RecordingModel
    caller: MemoryMediaSocket
    server: ToolServer
    bridge: Bridge
    assistant: AssistantProfile
    conversation_id: uuid.UUID
    ended: list[EndReason]
    tasks: TaskSupervisor

    async def tool_call(self, call_id: str, name: str, arguments: dict[str, Any]) -> None:
        """The model calls ``name`` and ends its response."""
        await self.turns.on_event(FunctionCall(call_id, name, orjson.dumps(arguments).decode()))
        await self.turns.on_event(ResponseDone(f"resp_{call_id}", "completed"))

    async def output(self, call_id: str) -> Any:
        """The output for ``call_id`` once it reached the model (then response.create)."""
        async def sent() -> bool:
            return any(k == "tool_output" and v[0] == call_id for k, v in self.model.sent)

        await eventually(sent, 10, what=f"the output of {call_id}")
        index = next(i for i, (k, v) in enumerate(self.model.sent)
                     if k == "tool_output" and v[0] == call_id)
        async def answered() -> bool:
            return any(k == "response.create" for k, _ in self.model.sent[index + 1:])

        await eventually(answered, 5, what=f"response.create after {call_id}")
        return self.model.sent[index][1][1]

    async def tool_used(self, count: int) -> list[dict[str, Any]]:
        rows: list[Any] = []

        async def stored() -> bool:
            nonlocal rows
            rows = await self.bridge.pool.fetch(
                "select * from events where type = 'tool_used' order by version")
            return len(rows) >= count

        await eventually(stored, 10, what=f"{count} tool_used events")
        return [dict(row) for row in rows]


async def publish_assistant(feed: CatalogFeed, bridge: Bridge, url: str) -> AssistantProfile:
    a, n = uuid.uuid4(), uuid.uuid4()
    tools = {uuid.uuid4(): tool(f"{url}/slots"),
             uuid.uuid4(): tool(f"{url}/hang", name="slow_lookup", timeout_seconds=1.5),
             uuid.uuid4(): tool(f"{url}/large", name="big_report")}
    files = {uuid.uuid4(): ("Praxisinfo.txt", "german", [
                 "Die Praxis liegt in der Hauptstraße 1.",
                 "Unsere Öffnungszeiten: Montag bis Freitag von 8 bis 18 Uhr."]),
             uuid.uuid4(): ("Welcome.txt", "english", [
                 "Our opening hours are Monday to Friday, 8 am to 6 pm.",
                 "Parking is free behind the building."]),
             uuid.uuid4(): ("Alt.txt", "german", ["Alte Öffnungszeiten: nur samstags."])}
    events = [feed.event(a, assistant())]
    for tool_id, state in tools.items():
        events += [feed.event(tool_id, state),
                   feed.event(a, c.AssistantToolLinked(tool_id=tool_id))]
    for i, (file_id, (name, language, passages)) in enumerate(files.items()):
        events += file_events(feed, file_id, name, language, passages)
        enabled = {"enabled": i < 2}  # the third is linked but switched off
        events.append(feed.event(a, c.AssistantFileLinked(file_id=file_id, settings=enabled)))
    events.append(feed.event(n, number(LINE, a)))
    await feed.publish(*events)

    async def projected() -> bool:
        done = await bridge.pool.fetchval(
            "select count(*) from knowledge_files where status = 'processed'")
        return bool(done == 3 and await bridge.pool.fetchval("select count(*) from numbers")
                    and await bridge.pool.fetchval("select count(*) from tools") == 3)

    await eventually(projected, 10, what="the assistant projected")
    answer = await PostgresCatalogView(bridge.pool).answering(LINE)
    assert isinstance(answer, AssistantProfile) and answer.has_knowledge
    return answer


@pytest.fixture
async def call(infra: ServerSet, fresh_schema: str, fresh_streams: None
               ) -> AsyncIterator[Call]:
    async with bridge_serving(infra, fresh_schema) as bridge, tool_server() as server:
        profile = await publish_assistant(CatalogFeed(infra.nats_url, TENANT), bridge,
                                          server.url)
        conversation_id, clock = uuid.uuid4(), SystemClock()
        facts = CallFacts(call_sid="CA" + uuid.uuid4().hex, tenant_id=TENANT,
                          request_id=uuid.uuid4(), line=LINE)
        log = ConversationLog(aggregate_id=conversation_id,
                              store=PostgresConversationStore(bridge.pool), clock=clock)

        async def emit(datas: Any) -> None:
            await log.commit(facts, datas, within=2.0)

        services = AssistantServices(
            catalog=PostgresCatalogView(bridge.pool),
            requests=HttpToolRequests(tool_http_client(), BOX, max_timeout_seconds=10.0,
                                      max_response_bytes=64 * 1024, allow_private=True))
        tools = CallTools(facts, emit, AssistantTools(profile, facts=facts, services=services,
                                                      emit=emit, clock=clock))
        model, tasks, ended = RecordingModel(), TaskSupervisor(), []
        line, caller = caller_line()
        turns = AgentTurns(line=line, model=model, tools=tools, end=ended.append,
                           drain_seconds=0.1, started=time.monotonic(), tasks=tasks)
        try:
            yield Call(turns, model, caller, server, bridge, profile, conversation_id, ended,
                       tasks)
        finally:
            await tasks.stop(grace_seconds=2)


async def test_an_http_tool_call_is_signed_answered_and_recorded(
    call: Call, infra: ServerSet
) -> None:
    await call.tool_call("call_1", "check_slots", {"day": "Montag"})
    assert await call.output("call_1") == {
        "ok": True, "status": 200, "body": {"free": ["10:30", "11:00"], "got": {"day": "Montag"}}}
    [seen] = call.server.requests
    assert verify(SIGNING_SECRET, seen.headers["x-ringbook-signature"], seen.body)
    assert seen.headers["authorization"] == f"Bearer {TOOL_TOKEN}"  # opened from its seal

    [used] = await call.tool_used(1)
    assert (used["aggregate"], used["aggregate_id"], used["version"]) == (
        "inbound_call", call.conversation_id, 1)
    data = orjson.loads(used["data"])
    tool_id = call.assistant.http_tool("check_slots").tool_id  # type: ignore[union-attr]
    assert data["tool_id"] == str(tool_id)
    assert data["assistant_id"] == str(call.assistant.assistant_id)
    assert (data["status_code"], data["ok"], data["error"]) == (200, True, None)
    assert data["duration_ms"] >= 0 and data["call_sid"].startswith("CA")

    async def published() -> bool:
        return any(e["type"] == "tool_used" for e in await calls_events(infra))

    await eventually(published, 10, what="tool_used on the CALLS stream")


async def test_a_hanging_tool_times_out_without_stalling_the_call(call: Call) -> None:
    async def model_reader() -> None:  # the model's events in order, as the call reads them
        for event in (FunctionCall("call_slow", "slow_lookup", '{"q": "x"}'),
                      ResponseDone("resp_slow", "completed"), AudioDelta("item_1", "/w==")):
            await call.turns.on_event(event)

    reading = asyncio.create_task(model_reader())

    async def played() -> bool:
        return call.caller.media() == ["/w=="]

    await eventually(played, 5, what="the model's audio behind the tool call")
    # ... played while the tool was still running: the reader did not wait for it.
    assert "tool:slow_lookup" in call.tasks.running and call.model.outputs() == []
    await reading

    assert await call.output("call_slow") == {
        "ok": False, "error": "the tool did not answer within 1.5 seconds"}
    [used] = await call.tool_used(1)
    data = orjson.loads(used["data"])
    assert (data["ok"], data["status_code"]) == (False, None)
    assert "did not answer" in data["error"]

    # The call goes on: the next tool answers as usual.
    await call.tool_call("call_next", "check_slots", {"day": "Dienstag"})
    assert (await call.output("call_next"))["ok"] is True
    assert [u["version"] for u in await call.tool_used(2)] == [1, 2]
    assert call.ended == []


async def test_an_answer_over_the_size_cap_is_an_error_for_the_model(call: Call) -> None:
    await call.tool_call("call_big", "big_report", {})
    assert await call.output("call_big") == {
        "ok": False, "error": "the tool's answer is larger than 65536 bytes"}
    data = orjson.loads((await call.tool_used(1))[0]["data"])
    assert (data["ok"], data["status_code"]) == (False, 200)


async def test_search_knowledge_finds_german_and_english_passages(call: Call) -> None:
    await call.tool_call("call_de", "search_knowledge", {"query": "Öffnungszeiten"})
    assert await call.output("call_de") == {"ok": True, "passages": [
        {"file": "Praxisinfo.txt",
         "text": "Unsere Öffnungszeiten: Montag bis Freitag von 8 bis 18 Uhr."}]}
    await call.tool_call("call_en", "search_knowledge", {"query": "When are you open?"})
    assert await call.output("call_en") == {"ok": True, "passages": [
        {"file": "Welcome.txt", "text": "Our opening hours are Monday to Friday, 8 am to 6 pm."}]}
    await call.tool_call("call_none", "search_knowledge", {"query": "Zahnspange Kosten"})
    assert await call.output("call_none") == {"ok": True, "passages": []}
    await call.tool_call("call_empty", "search_knowledge", {"query": " "})
    assert (await call.output("call_empty"))["ok"] is False
    # Searching the knowledge files is not an HTTP tool's use: nothing was recorded.
    assert await call.bridge.pool.fetchval("select count(*) from events") == 0


async def test_tool_calls_of_one_response_answer_in_the_order_they_were_made(call: Call) -> None:
    await call.turns.on_event(FunctionCall("call_a", "slow_lookup", "{}"))
    await call.turns.on_event(FunctionCall("call_b", "check_slots", '{"day": "Mittwoch"}'))
    await call.turns.on_event(ResponseDone("resp_ab", "completed"))
    await call.output("call_b")
    kinds = [(k, v[0] if k == "tool_output" else v) for k, v in call.model.sent]
    assert kinds == [("tool_output", "call_a"), ("tool_output", "call_b"),
                     ("response.create", None)]
