"""The SIMULATED realtime model's "assistant" script, over the official SDK, with the
session media-bridge builds for a configured assistant: a first message asked for
with ``response.create``, the business's HTTP tool, ``search_knowledge`` and
``end_call``, and tool outputs in media-bridge's shapes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from openai import AsyncOpenAI
from ringbook_simulators.realtime import RealtimeModelSimulator, script_for
from ringbook_simulators.realtime.assistant import (
    ASSISTANT,
    ASSISTANT_BYE,
    ASSISTANT_GOODBYE,
    ASSISTANT_QUESTION,
    FIRST_MESSAGE_PREFIX,
    arguments_from_schema,
    own_tool,
)
from ringbook_simulators.realtime.scripts import RECEPTIONIST, greeted_caller_lines, script_key
from ringbook_simulators.realtime.turns import NOT_IN_DOCUMENTS, Quote

from shared.simulators.tests.test_realtime_model import (
    Events,
    agent_says,
    practice_turn,
    speak,
    tool_call,
)

ORDER_SCHEMA = {
    "type": "object",
    "properties": {
        "order_id": {"type": "string", "examples": ["A-17"]},
        "express": {"type": "boolean"},
        "quantity": {"type": "integer", "default": 2},
        "size": {"enum": ["S", "M"]},
        "customer": {"type": "object", "properties": {"name": {"type": ["null", "string"]}},
                     "required": ["name"]},
        "note": {"type": "string"},  # not required: left out
    },
    "required": ["order_id", "express", "quantity", "size", "customer"],
}


def _function(name: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {"type": "function", "name": name, "description": name, "parameters": parameters}


# As media-bridge's assistant_session orders them: HTTP tools, search_knowledge, end_call.
SESSION_TOOLS = [
    _function("check_order", ORDER_SCHEMA),
    _function("search_knowledge", {"type": "object",
                                   "properties": {"query": {"type": "string"}},
                                   "required": ["query"]}),
    _function("end_call", {"type": "object"}),
]
INSTRUCTIONS = "You answer the phone for Salon Sonja.\nToday is Friday, 2026-03-06."
FIRST_MESSAGE = "Salon Sonja, guten Tag! Wie kann ich helfen?"


@pytest.fixture
async def fast_sim() -> AsyncIterator[RealtimeModelSimulator]:
    async with RealtimeModelSimulator(speed=20.0) as sim:
        yield sim


def test_arguments_are_made_from_the_schemas_required_properties() -> None:
    assert arguments_from_schema(ORDER_SCHEMA) == {
        "order_id": "A-17", "express": True, "quantity": 2, "size": "S",
        "customer": {"name": "example"},
    }
    assert arguments_from_schema({"type": "object"}) == {}
    assert arguments_from_schema("not a schema") == {}


def test_a_tool_of_its_own_or_search_knowledge_selects_the_assistant_script() -> None:
    assert own_tool(SESSION_TOOLS) == SESSION_TOOLS[0]
    assert script_key(INSTRUCTIONS, SESSION_TOOLS) == ASSISTANT
    assert script_key(INSTRUCTIONS, SESSION_TOOLS[1:]) == ASSISTANT  # knowledge only
    assert script_key(INSTRUCTIONS, SESSION_TOOLS[2:]) == RECEPTIONIST  # end_call only
    knowledge_only = script_for(ASSISTANT, date(2026, 3, 6), SESSION_TOOLS[1:])
    assert [t.tool.name for t in knowledge_only.turns if t.tool] == [
        "search_knowledge", "end_call"]
    # The greeted caller (what the simulated carrier plays) asks, then says goodbye.
    assert [line.text for line in greeted_caller_lines()] == [ASSISTANT_QUESTION, ASSISTANT_BYE]


def test_quotes_read_media_bridges_tool_outputs() -> None:
    system, documents = Quote("check_order", "system"), Quote("search_knowledge", "documents")
    assert system.line(json.dumps({"ok": True, "status": 200, "body": {"state": "shipped"}})) \
        == 'The system says: {"state": "shipped"}'
    assert system.line(json.dumps({"ok": False, "error": "the tool timed out"})) \
        == "The system reports a problem: the tool timed out"
    assert documents.line(json.dumps({"ok": True, "passages": [
        {"file": "faq.md", "text": "Saturdays 9 to 14."}, {"file": "b.md", "text": "no"}]})) \
        == "According to our documents: Saturdays 9 to 14."
    assert documents.line(json.dumps({"ok": True, "passages": []})) == NOT_IN_DOCUMENTS
    assert documents.line(None) == NOT_IN_DOCUMENTS


async def _output(conn: Any, events: Events, call_id: str, output: dict[str, Any]) -> None:
    await conn.conversation.item.create(item={
        "type": "function_call_output", "call_id": call_id, "output": json.dumps(output)})
    await events.until("conversation.item.added", lambda e: e.item.type == "function_call_output")
    await conn.response.create()  # as media-bridge does after every tool output


async def test_the_assistant_script_over_the_sdk(fast_sim: RealtimeModelSimulator) -> None:
    client = AsyncOpenAI(api_key="sim", base_url=fast_sim.base_url)
    async with client.realtime.connect(model="gpt-realtime") as conn:
        events = Events(conn)
        await events.until("session.created")
        await conn.session.update(session={  # type: ignore[typeddict-item]
            "type": "realtime", "instructions": INSTRUCTIONS, "tools": SESSION_TOOLS,
            "audio": {"input": {"format": {"type": "audio/pcmu"},
                                "turn_detection": {"type": "server_vad",
                                                   "silence_duration_ms": 400}},
                      "output": {"format": {"type": "audio/pcmu"}}}})
        await events.until("session.updated")
        await conn.response.create(response={"instructions": FIRST_MESSAGE_PREFIX + FIRST_MESSAGE})
        await agent_says(events, FIRST_MESSAGE)

        await speak(conn)
        await practice_turn(conn, events, ASSISTANT_QUESTION)  # the opening was skipped
        order, arguments, _ = await tool_call(events, "check_order")
        assert arguments == arguments_from_schema(ORDER_SCHEMA)
        await _output(conn, events, order.call_id,
                      {"ok": True, "status": 200, "body": {"state": "shipped", "eta": "Mon"}})
        search, query, seen = await tool_call(events, "search_knowledge")
        assert query == {"query": ASSISTANT_QUESTION}
        # The quote and the search in one response: the line first, then the call.
        spoken = [e.transcript for e in seen if e.type == "response.output_audio_transcript.done"]
        assert spoken == ['The system says: {"state": "shipped", "eta": "Mon"}']
        await _output(conn, events, search.call_id, {"ok": True, "passages": [
            {"file": "hours.md", "text": "On Saturdays we are open from 9 to 14."}]})
        await agent_says(events, "According to our documents: On Saturdays we are open from 9 "
                                 "to 14.")

        await speak(conn)
        await practice_turn(conn, events, ASSISTANT_BYE)
        _, end, seen = await tool_call(events, "end_call")
        assert end == {"reason": "caller_done"}
        spoken = [e.transcript for e in seen if e.type == "response.output_audio_transcript.done"]
        assert spoken == [ASSISTANT_GOODBYE]
        await events.close()
        assert events.strict_errors == []
    record = fast_sim.sessions[0].record
    assert record.number == ASSISTANT
    assert record.errors == []
