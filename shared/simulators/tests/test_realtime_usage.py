"""The SIMULATED realtime model's ``response.done`` usage: the real shape (checked
strictly against the SDK's GA events by ``Events``), and numbers that follow the plain
rules of ``ringbook_simulators.realtime.usage``, worked out here from what the test
heard and said over the SDK."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from ringbook_simulators.realtime import RealtimeModelSimulator, script_for
from ringbook_simulators.realtime.audio import speaking_duration_ms
from ringbook_simulators.realtime.usage import UsageMeter

from shared.simulators.tests.test_realtime_model import (
    agent_says,
    practice_turn,
    send_tool_result,
    session_with,
    speak,
    tool_call,
)

NUMBER = "+49305550100"


@pytest.fixture
async def fast_sim() -> AsyncIterator[RealtimeModelSimulator]:
    async with RealtimeModelSimulator(speed=20.0) as sim:
        yield sim


def text(s: str) -> int:
    return math.ceil(len(s) / 4)


def expected(input_text: int, input_audio: int, cached: tuple[int, int],
             output_text: int, output_audio: int) -> dict[str, Any]:
    return {
        "total_tokens": input_text + input_audio + output_text + output_audio,
        "input_tokens": input_text + input_audio,
        "output_tokens": output_text + output_audio,
        "input_token_details": {
            "text_tokens": input_text, "audio_tokens": input_audio, "image_tokens": 0,
            "cached_tokens": sum(cached),
            "cached_tokens_details": {"text_tokens": cached[0], "audio_tokens": cached[1],
                                      "image_tokens": 0},
        },
        "output_token_details": {"text_tokens": output_text, "audio_tokens": output_audio},
    }


async def test_each_response_done_reports_the_conversation_in_tokens(
    fast_sim: RealtimeModelSimulator,
) -> None:
    script = script_for(NUMBER, date.today())
    greeting, ask, offer, _, goodbye = (t.text for t in script.turns)
    assert greeting and ask and offer and goodbye
    async with session_with(fast_sim, NUMBER) as (conn, events):
        await speak(conn)
        await practice_turn(conn, events, greeting)
        await agent_says(events, ask)
        await speak(conn)
        await practice_turn(conn, events, offer)
        book, _, _ = await tool_call(events, "book_appointment")
        await send_tool_result(conn, events, book.call_id)
        end, _, _ = await tool_call(events, "end_call")

    created = [e for e in events.all if e.type == "response.created"]
    done = [e.response.usage.model_dump() for e in events.all if e.type == "response.done"]
    assert len(created) == len(done) == 3
    assert all(e.response.usage is None for e in created)  # usage comes with the end
    instructions = [e for e in events.all if e.type == "session.updated"][-1].session.instructions
    # The caller's audio: 1 token per 100 ms of each committed turn (as transcribed).
    heard = [math.ceil(round(e.usage.seconds * 1000) / 100) for e in events.all
             if e.type == "conversation.item.input_audio_transcription.completed"]
    assert len(heard) == 2 and all(tokens > 0 for tokens in heard)
    said = math.ceil(speaking_duration_ms(ask) / 50)  # the agent's audio: 1 per 50 ms

    first_in = (text(instructions), heard[0])
    second_in = (first_in[0] + text(ask), heard[0] + said + heard[1])
    third_in = (second_in[0] + text(book.arguments) + text('{"ok": true}'), second_in[1])
    assert done == [
        expected(*first_in, (0, 0), text(ask), said),
        expected(*second_in, first_in, text(book.arguments), 0),
        expected(*third_in, second_in, text(goodbye + end.arguments),
                 math.ceil(speaking_duration_ms(goodbye) / 50)),
    ]
    assert fast_sim.sessions[0].record.usages == done


def test_the_meter_counts_cut_short_output_and_changed_instructions() -> None:
    instructions = ["a" * 40]
    reported: list[dict[str, Any]] = []
    meter = UsageMeter(lambda: instructions[0], reported)
    meter.heard(250)  # 3 tokens (rounded up per turn)
    first = meter.response("", 30)  # a reply cut after 30 ms: 1 audio token, no text
    assert first["input_token_details"]["text_tokens"] == 10
    assert first["input_token_details"]["audio_tokens"] == 3
    assert first["output_token_details"] == {"text_tokens": 0, "audio_tokens": 1}
    instructions[0] = "b" * 8  # session.update: shorter instructions, a smaller prefix
    second = meter.response("hi", 0)
    details = second["input_token_details"]
    assert (details["text_tokens"], details["audio_tokens"]) == (2, 4)
    assert details["cached_tokens_details"]["text_tokens"] == 2  # never above the input
    assert details["cached_tokens"] == 2 + 3
    assert reported == [first, second]
