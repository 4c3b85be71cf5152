"""The conversation bridge end to end: a Twilio-like client, media-bridge served by
uvicorn (real Postgres and NATS), and the SIMULATED realtime model through the official
openai SDK. The callee "speaks" loud tone frames, which the simulator's VAD hears."""

from __future__ import annotations

import asyncio
import base64
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import nats
import orjson
from bridge_harness import INTERNAL_TOKEN, Bridge, eventually
from ringbook.contracts.streams import CALLS
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.streams import stored_messages
from ringbook_simulators.realtime import Truncation
from ringbook_simulators.realtime.audio import TONE_FRAME
from ringbook_simulators.realtime.scripts import next_monday
from twilio_peer import TENANT, Twilio, completed_within, loud_frame, metric, publish_request


async def calls_events(infra: ServerSet) -> list[dict[str, Any]]:
    nc = await nats.connect(infra.nats_url)
    try:
        js = nc.jetstream()
        return [orjson.loads(data or b"{}") for data in await stored_messages(js, CALLS.name)]
    finally:
        await nc.close()


async def test_a_booking_call_end_to_end(  # noqa: PLR0915 - one story, asserted step by step
    fast_bridge: Bridge, infra: ServerSet, appended: list[str]
) -> None:
    bridge = fast_bridge
    request_id = await publish_request(infra, "+49305550100")

    async def projected() -> bool:
        count = await bridge.pool.fetchval("select count(*) from call_requests")
        return bool(count)

    await eventually(projected)
    latency_before = metric("ringbook_media_response_latency_seconds_count")
    async with bridge.connect() as ws:
        twilio = Twilio(ws, 1)
        await twilio.start(direction="outbound", request_id=str(request_id),
                           tenant_id=str(TENANT), attempt="2")
        await twilio.say()  # "Praxis Dr. Müller, guten Tag."
        await twilio.agent_finished(after=0)
        # A broken frame and an unknown event do not end the call.
        await twilio.send("{not json")
        await twilio.send({"event": "bogus", "sequenceNumber": "999",
                           "streamSid": twilio.stream_sid})
        await twilio.say()  # "Am Montag um 10:30 Uhr hätten wir etwas frei."
        # The agent books, says goodbye and hangs up (end_call): the bridge closes.
        await asyncio.wait_for(ws.wait_closed(), 20)
        await twilio.reader

    # Audio both ways, byte-identical strings.
    assert appended == twilio.sent
    session = bridge.model.sessions[0]
    assert session.record.number == "+49305550100"
    assert twilio.media and set(twilio.media) == {base64.b64encode(TONE_FRAME).decode()}
    # A mark per 100 ms of an item, and one for each item's tail: every frame of agent
    # audio (20 ms each) is covered by a mark, so its playing out is known.
    item, _, ms = twilio.marks[0].partition(":")
    assert item.startswith("item_") and ms == "100"
    marked: dict[str, int] = {}
    for name in twilio.marks:
        mark_item, _, mark_ms = name.partition(":")
        marked[mark_item] = max(marked.get(mark_item, 0), int(mark_ms))
    assert sum(marked.values()) == 20 * len(twilio.media)
    assert len(twilio.marks) < len(twilio.media)
    # The tool output went back before the next response (no simulator errors).
    assert session.record.errors == []
    assert any('"booked"' in out for out in session.record.tool_outputs.values())

    monday = next_monday(_berlin_today())
    summary = f"Mo {monday:%d.%m.%Y}, 10:30 Uhr bei Praxis Dr. Müller"

    async def published() -> bool:
        return len(await calls_events(infra)) >= 3

    await eventually(published)
    events = await calls_events(infra)
    types = [e["type"] for e in events]
    assert types == ["booking_in_progress", "booking_confirmed", "call_completed"]
    assert all(e["aggregate"] == "conversation" for e in events)
    assert [e["version"] for e in events] == [1, 2, 3]
    assert {e["aggregate_id"] for e in events} == {events[0]["aggregate_id"]}
    assert {e["correlation_id"] for e in events} == {str(request_id)}
    assert {e["tenant_id"] for e in events} == {str(TENANT)}
    assert events[1]["data"] == {"attempt": 2, "summary": summary}
    completed = events[2]["data"]
    assert completed["call_sid"] == twilio.call_sid and completed["attempt"] == 2
    assert completed["outcome"] == "booked"
    assert [line["speaker"] for line in completed["transcript"]] == [
        "callee", "agent", "callee", "agent"]
    assert completed["interruptions"] == 0 and completed["latency_p50_ms"] is not None

    row = await bridge.pool.fetchrow("select * from conversations")
    assert row["outcome"] == "booked" and row["interruptions"] == 0
    transcript = orjson.loads(row["transcript"])
    assert [t["speaker"] for t in transcript] == ["callee", "agent", "callee", "agent"]
    assert transcript[0]["text"] == "Praxis Dr. Müller, guten Tag."
    # One response latency per callee turn.
    assert len(orjson.loads(row["latencies_ms"])) == 2 and row["latency_p50_ms"] is not None
    assert metric("ringbook_media_response_latency_seconds_count") == latency_before + 2
    assert bridge.hangups == [(twilio.call_sid, f"Bearer {INTERNAL_TOKEN}")]
    assert (await bridge.session_row(twilio.stream_sid))["end_reason"] == "agent ended"


def _berlin_today() -> date:
    from datetime import datetime

    return datetime.now(ZoneInfo("Europe/Berlin")).date()


async def test_no_availability_emits_call_failed(fast_bridge: Bridge, infra: ServerSet) -> None:
    bridge = fast_bridge
    request_id = await publish_request(infra, "+49305550103")

    async def projected() -> bool:
        return bool(await bridge.pool.fetchval("select count(*) from call_requests"))

    await eventually(projected)
    async with bridge.connect() as ws:
        twilio = Twilio(ws, 2)
        await twilio.start(direction="outbound", request_id=str(request_id),
                           tenant_id=str(TENANT), attempt="1")
        await twilio.say()
        await twilio.agent_finished(after=0)
        await twilio.say()
        await asyncio.wait_for(ws.wait_closed(), 20)
    completed = await completed_within(bridge, 5)
    assert completed["outcome"] == "no_availability"
    failed = await bridge.pool.fetchval("select data from events where type = 'call_failed'")
    data = orjson.loads(failed)
    assert data["retry_at"] is None and data["call_sid"] == twilio.call_sid
    assert data["callback_requested"] is True


async def test_barge_in_clears_twilio_and_truncates_at_the_played_audio(
    realtime_bridge: Bridge, infra: ServerSet
) -> None:
    bridge = realtime_bridge
    request_id = await publish_request(infra, "+49305550104")

    async def projected() -> bool:
        return bool(await bridge.pool.fetchval("select count(*) from call_requests"))

    await eventually(projected)
    interruptions_before = metric("ringbook_media_interruptions_total")
    async with bridge.connect() as ws:
        # Twilio reports only the first 2 marks (200 ms) as played.
        twilio = Twilio(ws, 6, echo_marks=2)
        await twilio.start(direction="outbound", request_id=str(request_id),
                           tenant_id=str(TENANT), attempt="1")
        await twilio.say()

        async def agent_speaking() -> bool:
            return len(twilio.media) >= 25

        await eventually(agent_speaking, 10)
        await twilio.frames([loud_frame(i) for i in range(10)])  # the practice interrupts

        async def cleared() -> bool:
            return twilio.clears == 1 and bool(bridge.model.sessions[0].record.truncations)

        await eventually(cleared, 5)
        await twilio.stop()
    record = bridge.model.sessions[0].record
    item = twilio.marks[0].partition(":")[0]
    assert record.truncations == [Truncation(item, 0, 200)]
    assert metric("ringbook_media_interruptions_total") == interruptions_before + 1
    completed = await completed_within(bridge, 5)
    assert completed["interruptions"] == 1
