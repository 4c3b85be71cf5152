"""The realtime model's usage of a call: the ``usage`` of every ``response.done`` the
model sent, summed into the conversation's ``call_completed`` (and its row), with the
session's model; a ``response.done`` without a usage, or with a malformed one, neither
breaks the call nor counts.

The calls run against the SIMULATED model (its usage follows
``ringbook_simulators.realtime.usage``); the shapes parsed here are the SDK's own."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from bridge_harness import Bridge
from media_bridge.adapters.openai_realtime import parse_server_event
from media_bridge.domain.model_events import ResponseDone
from media_bridge.domain.model_usage import MAX_TOKENS_PER_RESPONSE, TokenCounts, summed
from openai.types.realtime import ResponseDoneEvent
from ringbook_devtools.testing.infra import ServerSet
from ringbook_simulators.realtime.session import RealtimeSession
from twilio_peer import booking_call, completed_within

BOOKS = "+49305550100"  # the practice answers and books: three responses


def usage_of(details: dict[str, Any]) -> dict[str, Any]:
    """``call_completed``'s usage for a list of the simulator's response usages."""
    return {
        "model": "gpt-realtime",
        "input_text_tokens": sum(u["input_token_details"]["text_tokens"] for u in details),
        "input_audio_tokens": sum(u["input_token_details"]["audio_tokens"] for u in details),
        "cached_input_tokens": sum(u["input_token_details"]["cached_tokens"] for u in details),
        "output_text_tokens": sum(u["output_token_details"]["text_tokens"] for u in details),
        "output_audio_tokens": sum(u["output_token_details"]["audio_tokens"] for u in details),
    }


async def stored_usage(bridge: Bridge) -> Any:
    value = await bridge.pool.fetchval("select usage from conversations")
    return None if value is None else orjson.loads(value)


async def test_call_completed_carries_the_sum_of_every_response_usage(
    fast_bridge: Bridge, infra: ServerSet
) -> None:
    twilio = await booking_call(fast_bridge, infra, 71, BOOKS)
    completed = await completed_within(fast_bridge, 5)
    assert completed["call_sid"] == twilio.call_sid and completed["outcome"] == "booked"
    sent = fast_bridge.model.sessions[0].record.usages
    assert len(sent) == 3  # ask, book_appointment, goodbye + end_call
    expected = usage_of(sent)
    assert expected["input_audio_tokens"] > 0 and expected["output_audio_tokens"] > 0
    assert expected["cached_input_tokens"] > 0  # the later responses reuse the prefix
    assert completed["usage"] == expected
    assert await stored_usage(fast_bridge) == expected


@pytest.mark.parametrize("broken", ["every response", "some responses"])
async def test_a_response_done_without_usage_breaks_nothing(
    fast_bridge: Bridge, infra: ServerSet, monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    """The model's response.done events lose their usage on the wire: all of them (the
    call has no usage), or the first two (one without the field, one with garbage in
    it): only the third counts."""
    original = RealtimeSession._send
    kept: list[dict[str, Any]] = []

    async def sending(self: RealtimeSession, event: dict[str, Any]) -> None:
        if event["type"] == "response.done":
            response = event["response"]
            n = len(self.record.usages)
            if broken == "every response" or n == 1:
                del response["usage"]
            elif n == 2:
                response["usage"] = {"input_token_details": "many", "output_tokens": True,
                                     "output_token_details": {"audio_tokens": "lots"}}
            else:
                kept.append(response["usage"])
        await original(self, event)

    monkeypatch.setattr(RealtimeSession, "_send", sending)
    await booking_call(fast_bridge, infra, 72, BOOKS)
    completed = await completed_within(fast_bridge, 5)
    assert completed["outcome"] == "booked"  # the call went on to its end
    assert len(fast_bridge.model.sessions[0].record.usages) == 3
    if broken == "every response":
        assert kept == [] and completed["usage"] is None
        assert await stored_usage(fast_bridge) is None
    else:
        assert len(kept) == 1
        # The garbage response counts as a usage of zero tokens, the missing one not at all.
        assert completed["usage"] == usage_of(kept)
        assert await stored_usage(fast_bridge) == usage_of(kept)


def done(usage: Any = ..., **response: Any) -> bytes:
    body: dict[str, Any] = {"id": "resp_1", "object": "realtime.response",
                            "status": "completed", "output": [], **response}
    if usage is not ...:
        body["usage"] = usage
    return orjson.dumps({"type": "response.done", "event_id": "event_1", "response": body})


def test_parse_reads_the_sdk_shape_of_usage() -> None:
    raw = done({
        "total_tokens": 821, "input_tokens": 789, "output_tokens": 32,
        "input_token_details": {"text_tokens": 313, "audio_tokens": 476, "cached_tokens": 640,
                                "cached_tokens_details": {"text_tokens": 256,
                                                          "audio_tokens": 384}},
        "output_token_details": {"text_tokens": 9, "audio_tokens": 23},
    })
    ResponseDoneEvent.model_validate_json(raw)  # the real shape, as the SDK defines it
    assert parse_server_event(raw) == ResponseDone(
        "resp_1", "completed", TokenCounts(313, 476, 640, 9, 23))


@pytest.mark.parametrize(("usage", "counts"), [
    (..., None),
    (None, None),
    ("lots", None),
    ({}, TokenCounts()),
    ({"input_token_details": {"text_tokens": -5, "audio_tokens": 10.5, "cached_tokens": True},
      "output_token_details": ["audio_tokens", 3]}, TokenCounts()),
    # More cached than input: the cached part is capped at the input it belongs to.
    ({"input_token_details": {"text_tokens": 10, "audio_tokens": 20, "cached_tokens": 99}},
     TokenCounts(10, 20, 30, 0, 0)),
    # Beyond any context window: bounded, so a call's sum still fits 64 bits.
    ({"output_token_details": {"text_tokens": 2**64 - 1, "audio_tokens": 7}},
     TokenCounts(0, 0, 0, MAX_TOKENS_PER_RESPONSE, 7)),
])
def test_parse_takes_a_missing_or_malformed_usage_as_nothing(
    usage: Any, counts: TokenCounts | None
) -> None:
    assert parse_server_event(done(usage)) == ResponseDone("resp_1", "completed", counts)


def test_a_count_beyond_64_bits_is_not_a_count() -> None:
    raw = done({}).replace(b'"usage":{}', b'"usage":{"input_token_details":'
                                           b'{"audio_tokens":100000000000000000000000000000}}')
    assert parse_server_event(raw) == ResponseDone("resp_1", "completed", TokenCounts())


def test_usage_sums_over_the_responses_that_had_one() -> None:
    one, two = TokenCounts(1, 2, 3, 4, 5), TokenCounts(10, 20, 0, 40, 50)
    assert summed(summed(summed(None, one), None), two) == TokenCounts(11, 22, 3, 44, 55)
    assert summed(None, None) is None
    usage = summed(None, one)
    assert usage is not None and usage.as_model_usage("gpt-realtime").model_dump() == {
        "model": "gpt-realtime", "input_text_tokens": 1, "input_audio_tokens": 2,
        "cached_input_tokens": 3, "output_text_tokens": 4, "output_audio_tokens": 5}
