"""The SIMULATED realtime model's inbound receptionist script, over the official SDK.

Instructions without a ``Number called:`` line (media-bridge's receptionist
instructions on an inbound call) select it; the caller's side is exported for the
simulated carrier.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

import pytest
from openai import AsyncOpenAI
from openai.resources.realtime.realtime import AsyncRealtimeConnection
from ringbook_simulators.realtime import RealtimeModelSimulator, script_for
from ringbook_simulators.realtime.protocol import SIMULATOR_INSTRUCTIONS
from ringbook_simulators.realtime.scripts import (
    BOOKING_NUMBER,
    RECEPTIONIST,
    caller_lines,
    script_key,
)

from shared.simulators.tests.test_realtime_model import (
    TOOLS,
    Events,
    agent_says,
    practice_turn,
    speak,
    tool_call,
)

# Worded like media-bridge's default, but any text without a number line would do.
RECEPTIONIST_TEXT = (
    "You are the friendly phone receptionist of a small business. Greet the caller, "
    "answer briefly, say goodbye and call the end_call tool."
)


@pytest.fixture
async def fast_sim() -> AsyncIterator[RealtimeModelSimulator]:
    async with RealtimeModelSimulator(speed=20.0) as sim:
        yield sim


@asynccontextmanager
async def receptionist_session(
    sim: RealtimeModelSimulator,
) -> AsyncIterator[tuple[AsyncRealtimeConnection, Events]]:
    client = AsyncOpenAI(api_key="sim", base_url=sim.base_url)
    async with client.realtime.connect(model="gpt-realtime") as conn:
        events = Events(conn)
        await events.until("session.created")
        await conn.session.update(
            session={
                "type": "realtime",
                "instructions": RECEPTIONIST_TEXT,
                "tools": TOOLS[2:],  # type: ignore[typeddict-item]  # end_call only
                "audio": {
                    "input": {
                        "format": {"type": "audio/pcmu"},
                        "turn_detection": {"type": "server_vad", "silence_duration_ms": 400},
                    },
                    "output": {"format": {"type": "audio/pcmu"}},
                },
            }
        )
        await events.until("session.updated")
        try:
            yield conn, events
        finally:
            await events.close()
        assert events.strict_errors == []


def test_script_key_marks_instructions_without_a_number_as_the_receptionist() -> None:
    assert script_key(f"Du rufst an.\nNumber called: {BOOKING_NUMBER}\n") == BOOKING_NUMBER
    assert script_key(RECEPTIONIST_TEXT) == RECEPTIONIST
    assert script_key("Sie sind die Rezeption einer Praxis.") == RECEPTIONIST
    # Never configured: the default booking script, as before.
    assert script_key(None) is None
    assert script_key("") is None
    assert script_key(SIMULATOR_INSTRUCTIONS) is None
    assert script_for(None, date(2026, 3, 6)).number == BOOKING_NUMBER


def test_caller_lines_are_the_callers_turns_of_the_receptionist_script() -> None:
    script = script_for(RECEPTIONIST, date(2026, 3, 6))
    assert script.number == RECEPTIONIST
    assert [t.speaker for t in script.turns] == ["caller", "agent"] * 3
    lines = caller_lines()
    assert [line.text for line in lines] == [t.text for t in script.turns if t.speaker == "caller"]
    assert all(line.barge_in_after_ms is None for line in lines)  # a polite caller
    # Long enough to survive the bridge dropping audio until the session is configured.
    assert lines[0].duration_ms >= 2000
    final = script.turns[-1]
    assert final.tool is not None and final.tool.name == "end_call"


async def test_receptionist_conversation_over_the_sdk(fast_sim: RealtimeModelSimulator) -> None:
    hello, greeting, question, hours, bye, goodbye = (
        str(t.text) for t in script_for(RECEPTIONIST, date.today()).turns
    )
    async with receptionist_session(fast_sim) as (conn, events):
        await speak(conn)
        await practice_turn(conn, events, hello)  # the caller's input transcript
        await agent_says(events, greeting)  # server VAD answered by itself
        await speak(conn)
        await practice_turn(conn, events, question)
        await agent_says(events, hours)
        await speak(conn)
        await practice_turn(conn, events, bye)
        _, arguments, seen = await tool_call(events, "end_call")
        assert arguments == {"reason": "caller_done"}
        spoken = [e.transcript for e in seen if e.type == "response.output_audio_transcript.done"]
        assert spoken == [goodbye]
    record = fast_sim.sessions[0].record
    assert record.number == RECEPTIONIST
    assert record.errors == []
