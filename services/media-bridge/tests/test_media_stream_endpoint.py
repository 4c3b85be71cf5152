"""media-bridge served by uvicorn on a real port, against real Postgres and nats-server,
driven by a websocket client that speaks like Twilio (and by the simulated carrier)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from bridge_harness import Bridge, eventually, run_bridge, stream_token, twilio_signature
from prometheus_client import REGISTRY
from ringbook_devtools.testing.infra import ServerSet
from ringbook_simulators.carrier import media_stream_client as sim
from ringbook_simulators.carrier.records import MediaStats
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

ACCOUNT = "AC00000000000000000000000000000001"
REQUEST_ID = "0195f7a2-0000-7000-8000-000000000001"


@pytest.fixture
async def bridge(infra: ServerSet, fresh_schema: str, fresh_streams: None) -> AsyncIterator[Bridge]:
    async for running in run_bridge(infra, fresh_schema):
        yield running


class TwilioLike:
    """Sends what Twilio sends, with its sequence numbering."""

    def __init__(self, ws: ClientConnection, stream_sid: str, call_sid: str) -> None:
        self.ws, self.stream_sid, self.call_sid = ws, stream_sid, call_sid
        self.sequence = 0

    def _next(self) -> int:
        self.sequence += 1
        return self.sequence

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.ws.send(message if isinstance(message, str) else orjson.dumps(message).decode())

    async def connected_and_start(self, **parameters: str) -> None:
        token = stream_token(self.call_sid, parameters)
        await self.send(sim.connected_message())
        await self.send(
            sim.start_message(sequence_number=self._next(), stream_sid=self.stream_sid,
                              account_sid=ACCOUNT, call_sid=self.call_sid,
                              custom_parameters={**parameters, "stream_token": token})
        )

    async def media(self, frames: int) -> None:
        for _ in range(frames):
            n = self._next()
            await self.send(
                sim.media_message(sequence_number=n, stream_sid=self.stream_sid, chunk=n,
                                  timestamp_ms=20 * n, payload=b"\xff" * 160)
            )

    async def mark(self, name: str) -> None:
        await self.send(sim.mark_message(sequence_number=self._next(),
                                         stream_sid=self.stream_sid, name=name))

    async def dtmf(self, digit: str) -> None:
        await self.send(sim.dtmf_message(sequence_number=self._next(),
                                         stream_sid=self.stream_sid, digit=digit))

    async def stop(self) -> None:
        await self.send(sim.stop_message(sequence_number=self._next(),
                                         stream_sid=self.stream_sid, account_sid=ACCOUNT,
                                         call_sid=self.call_sid))


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_whole_call_is_recorded_once_it_stops(bridge: Bridge) -> None:
    frames_before = metric("ringbook_media_frames_total", direction="in")
    active_before = metric("ringbook_media_active_streams")
    async with bridge.connect() as ws:
        twilio = TwilioLike(ws, "MZ0000000000000000000000000000000a", "CA000000000000000000000000000000a")
        await twilio.connected_and_start(request_id=REQUEST_ID, caller="+4930123456")

        async def active() -> bool:
            return metric("ringbook_media_active_streams") == active_before + 1

        await eventually(active)
        await twilio.media(50)
        await twilio.mark("greeting")
        await twilio.dtmf("1")
        await twilio.stop()
        # The bridge hangs up its side once Twilio stopped the stream.
        await asyncio.wait_for(ws.wait_closed(), 5)
        assert ws.close_code == 1000

    row = await bridge.session_row(twilio.stream_sid)
    assert row["call_sid"] == twilio.call_sid
    assert row["frames_in"] == 50
    assert row["end_reason"] == "stop"
    assert row["started_at"] <= row["ended_at"]
    assert metric("ringbook_media_frames_total", direction="in") == frames_before + 50
    assert metric("ringbook_media_active_streams") == active_before


async def test_a_socket_closed_without_stop_still_ends_the_session(bridge: Bridge) -> None:
    async with bridge.connect() as ws:
        twilio = TwilioLike(ws, "MZ0000000000000000000000000000000b", "CA000000000000000000000000000000b")
        await twilio.connected_and_start()
        await twilio.media(3)
    row = await bridge.session_row(twilio.stream_sid)
    assert (row["frames_in"], row["end_reason"]) == (3, "socket closed")


@pytest.mark.parametrize(
    "first_frame",
    ["{not json", orjson.dumps({"event": "bogus"}).decode(),
     orjson.dumps(sim.media_message(sequence_number=1, stream_sid="MZ1", chunk=1,
                                    timestamp_ms=0, payload=b"\xff")).decode()],
    ids=["malformed-json", "unknown-event", "media-before-start"],
)
async def test_garbage_before_start_closes_with_1003(bridge: Bridge, first_frame: str) -> None:
    errors_before = metric("ringbook_media_protocol_errors_total")
    async with bridge.connect() as ws:
        await ws.send(orjson.dumps(sim.connected_message()).decode())
        await ws.send(first_frame)
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == 1003
    assert metric("ringbook_media_protocol_errors_total") == errors_before + 1
    assert await bridge.pool.fetchval("select count(*) from media_sessions") == 0


async def test_a_bad_frame_during_the_call_is_ignored(bridge: Bridge) -> None:
    errors_before = metric("ringbook_media_protocol_errors_total")
    async with bridge.connect() as ws:
        twilio = TwilioLike(ws, "MZ0000000000000000000000000000000c", "CA000000000000000000000000000000c")
        await twilio.connected_and_start(request_id=REQUEST_ID)
        await twilio.media(5)
        await twilio.send({"event": "bogus", "sequenceNumber": "99", "streamSid": twilio.stream_sid})
        await twilio.send("{not json")
        await twilio.media(5)
        await twilio.stop()
        await asyncio.wait_for(ws.wait_closed(), 5)
        assert ws.close_code == 1000
    row = await bridge.session_row(twilio.stream_sid)
    assert (row["frames_in"], row["end_reason"]) == (10, "stop")
    assert metric("ringbook_media_protocol_errors_total") == errors_before + 2


async def test_a_silent_stream_is_ended(bridge: Bridge) -> None:
    async with bridge.connect() as ws:
        twilio = TwilioLike(ws, "MZ0000000000000000000000000000000d", "CA000000000000000000000000000000d")
        await twilio.connected_and_start()
        await twilio.media(1)
        # Then nothing: the bridge gives up after its receive timeout (2 s here).
        await asyncio.wait_for(ws.wait_closed(), 10)
    row = await bridge.session_row(twilio.stream_sid)
    assert (row["frames_in"], row["end_reason"]) == (1, "receive timeout")


async def test_the_simulated_carrier_streams_a_call_through_the_bridge(bridge: Bridge) -> None:
    stats = MediaStats()
    dtmf: asyncio.Queue[str] = asyncio.Queue()
    dtmf.put_nowait("4")
    stream = sim.MediaStreamSession(
        url=bridge.url,
        stream_sid="MZ0000000000000000000000000000000e",
        account_sid=ACCOUNT,
        call_sid="CA000000000000000000000000000000e",
        parameters={"stream_token": stream_token("CA000000000000000000000000000000e",
                                                 {"request_id": REQUEST_ID})},
        stats=stats,
        ended=asyncio.Event(),
        dtmf_queue=dtmf,
        headers={"X-Twilio-Signature": twilio_signature(bridge.url)},
    )
    assert await stream.run(hold_seconds=0.3) is sim.StreamEnd.HOLD_ELAPSED
    assert stats.stop_sent and stats.sent_dtmf == 1
    row = await bridge.session_row("MZ0000000000000000000000000000000e")
    assert (row["frames_in"], row["end_reason"]) == (stats.sent_media, "stop")
