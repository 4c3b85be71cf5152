"""The SIMULATED booking callers (``realtime.bookings``): chosen by the caller line and
``book_spa_slot``, dated from the ``Today is`` line, resolving tool arguments from the
check's alternatives, and the cancelling caller recalling a reference across sessions."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from openai import AsyncOpenAI
from ringbook.contracts.bookings import BOOKING_FUNCTION_SCHEMAS, caller_line, today_line
from ringbook_simulators.realtime import (
    BOOKING_CALLER,
    CANCEL_CALLER,
    FULL_SLOT_CALLER,
    RealtimeModelSimulator,
    booking_caller_lines,
    greeted_booking_caller_lines,
)
from ringbook_simulators.realtime.bookings import CANCEL_ASK, booking_script, remember_booking
from ringbook_simulators.realtime.scripts import ASSISTANT, RECEPTIONIST, script_for, script_key
from ringbook_simulators.realtime.turns import NO_REFERENCE, REFERENCE

from shared.simulators.tests.test_realtime_model import (
    Events,
    agent_says,
    practice_turn,
    speak,
    tool_call,
)

TOOLS = [{"type": "function", "name": name, **schema}
         for name, schema in BOOKING_FUNCTION_SCHEMAS.items()] + [
    {"type": "function", "name": "end_call", "parameters": {"type": "object"}}]
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def instructions(caller: str | None) -> str:
    lines = ["You answer the phone for Santa Caterina Beauty Farm.",
             today_line(NOW, "Europe/Rome")]
    if caller is not None:
        lines.append(caller_line(caller))
    return "\n".join(lines)


def agent_tools(number: str, outputs: dict[str, str], memory: dict[str, str] | None = None
                ) -> list[tuple[str, dict[str, object]]]:
    script = script_for(number, date(2026, 12, 4), TOOLS, instructions(number))
    return [(t.tool.name, t.tool.arguments) for t in
            (turn.resolved(outputs, memory) for turn in script.turns) if t.tool]


def test_booking_callers_are_picked_by_caller_line_and_tools() -> None:
    for number in (BOOKING_CALLER, FULL_SLOT_CALLER, CANCEL_CALLER):
        assert script_key(instructions(number), TOOLS) == number
        assert script_for(number, date(2026, 12, 4), TOOLS, instructions(number)).number == number
        assert script_key(instructions(number), TOOLS[4:]) == RECEPTIONIST  # no book_spa_slot
        outbound = instructions(number) + "\nNumber called: +49305550100"
        assert script_key(outbound, TOOLS) == "+49305550100"
    # Another caller, or no caller line: the scripts as before (booking tools are built-in).
    assert script_key(instructions("+393479999999"), TOOLS) == RECEPTIONIST
    assert script_key(instructions(None), TOOLS) == RECEPTIONIST
    own = [*TOOLS, {"type": "function", "name": "check_order", "parameters": {}}]
    assert script_key(instructions(None), own) == ASSISTANT


def test_tomorrow_comes_from_the_today_line() -> None:
    calls = agent_tools(BOOKING_CALLER, {})
    assert calls == [
        ("check_slot_availability", {"date": "2026-12-05", "start_time": "10:00"}),
        ("book_spa_slot", {"customer_name": "Giulia Rossi", "customer_phone": "",
                           "date": "2026-12-05", "start_time": "10:00", "end_time": "12:00"}),
        ("end_call", {"reason": "caller_done"}),
    ]
    script = booking_script(BOOKING_CALLER, instructions(BOOKING_CALLER))
    booked = {"success": True, "reference": "SPA-000001", "message": "Prenotata. SPA-000001."}
    said = [t.resolved({"book_spa_slot": json.dumps(booked)}).text for t in script.turns
            if t.quote is not None]
    assert said == ["Prenotata. SPA-000001."]
    assert [t.resolved({"book_spa_slot": json.dumps({"ok": False, "error": "down"})}).text
            for t in script.turns if t.quote is not None] == ["down"]


def test_the_full_slot_caller_books_the_first_alternative() -> None:
    check = {"available": False, "spots_remaining": 0, "message": "Al completo. Liberi: 12-14",
             "alternatives": [{"date": "2026-12-05", "start_time": "12:00", "end_time": "14:00"},
                              {"date": "2026-12-05", "start_time": "14:00", "end_time": "16:00"}]}
    calls = agent_tools(FULL_SLOT_CALLER, {"check_slot_availability": json.dumps(check)})
    assert calls[1] == ("book_spa_slot", {"customer_name": "Giulia Rossi", "customer_phone": "",
                                          "date": "2026-12-05", "start_time": "12:00",
                                          "end_time": "14:00"})
    assert agent_tools(FULL_SLOT_CALLER, {})[1][1]["start_time"] == "10:00"  # none: 10:00
    script = booking_script(FULL_SLOT_CALLER, instructions(FULL_SLOT_CALLER))
    quote = next(t for t in script.turns if t.quote is not None)
    assert quote.resolved({"check_slot_availability": json.dumps(check)}).text == check["message"]


def test_the_cancel_caller_recalls_the_reference() -> None:
    memory: dict[str, str] = {}
    remember_booking(memory, instructions(BOOKING_CALLER), "book_spa_slot",
                     json.dumps({"success": False, "error": "full"}))
    assert memory == {}
    remember_booking(memory, instructions(BOOKING_CALLER), "book_spa_slot",
                     json.dumps({"success": True, "reference": "SPA-000007"}))
    assert memory == {BOOKING_CALLER: "SPA-000007"}
    script = booking_script(CANCEL_CALLER, instructions(CANCEL_CALLER))
    ask = next(t for t in script.turns if t.speaker == "caller" and t.recall)
    assert ask.resolved({}, memory).text == CANCEL_ASK.replace(REFERENCE, "SPA-000007")
    assert ask.resolved({}, {}).text == CANCEL_ASK.replace(REFERENCE, NO_REFERENCE)
    assert ("cancel_booking", {"reference": "SPA-000007", "customer_phone": BOOKING_CALLER}) \
        in agent_tools(CANCEL_CALLER, {}, memory)


def test_caller_lines_match_the_scripts() -> None:
    for number in (BOOKING_CALLER, FULL_SLOT_CALLER, CANCEL_CALLER):
        script = booking_script(number, None)
        callers = [t for t in script.turns if t.speaker == "caller"]
        lines = booking_caller_lines(number)
        greeted = greeted_booking_caller_lines(number)
        assert lines is not None and greeted is not None
        assert len(lines) == len(callers)
        assert len(greeted) == len([t for t in callers if not t.opening])
        assert all(REFERENCE not in line.text for line in lines)
    assert booking_caller_lines("+393479999999") is None
    assert greeted_booking_caller_lines("+393479999999") is None


async def _configure(conn: Any, events: Events, number: str) -> None:
    await events.until("session.created")
    await conn.session.update(session={  # as media-bridge briefs a business with slots
        "type": "realtime", "instructions": instructions(number), "tools": TOOLS,
        "audio": {"input": {"format": {"type": "audio/pcmu"},
                            "turn_detection": {"type": "server_vad",
                                               "silence_duration_ms": 400}},
                  "output": {"format": {"type": "audio/pcmu"}}}})
    await events.until("session.updated")


async def _output(conn: Any, events: Events, call_id: str, output: dict[str, Any]) -> None:
    await conn.conversation.item.create(item={
        "type": "function_call_output", "call_id": call_id, "output": json.dumps(output)})
    await events.until("conversation.item.added", lambda e: e.item.type == "function_call_output")
    await conn.response.create()


async def test_the_cancel_caller_cancels_what_an_earlier_session_booked() -> None:
    async with RealtimeModelSimulator(speed=20.0) as sim:
        client = AsyncOpenAI(api_key="sim", base_url=sim.base_url)
        async with client.realtime.connect(model="gpt-realtime") as conn:
            events = Events(conn)
            await _configure(conn, events, BOOKING_CALLER)
            await speak(conn)
            await practice_turn(conn, events, "Buongiorno, sono Giulia Rossi.")
            await events.until("response.done")
            await speak(conn)
            await practice_turn(conn, events, "Vorrei prenotare un posto per domani alle dieci.")
            check, _, _ = await tool_call(events, "check_slot_availability")
            await _output(conn, events, check.call_id, {"available": True, "spots_remaining": 13,
                                                        "message": "Libero."})
            book, _, _ = await tool_call(events, "book_spa_slot")
            await _output(conn, events, book.call_id, {
                "success": True, "booking_id": 9, "reference": "SPA-000009",
                "message": "Prenotata. Il suo codice è SPA-000009."})
            await agent_says(events, "Prenotata. Il suo codice è SPA-000009.")
            await events.close()
        assert sim.caller_memory == {BOOKING_CALLER: "SPA-000009"}
        async with client.realtime.connect(model="gpt-realtime") as conn:
            events = Events(conn)
            await _configure(conn, events, CANCEL_CALLER)
            await speak(conn)
            await practice_turn(conn, events, "Pronto, buongiorno.")
            await events.until("response.done")
            await speak(conn)
            await practice_turn(conn, events, CANCEL_ASK.replace(REFERENCE, "SPA-000009"))
            _, arguments, _ = await tool_call(events, "cancel_booking")
            assert arguments == {"reference": "SPA-000009", "customer_phone": BOOKING_CALLER}
            await events.close()
            assert events.strict_errors == []
