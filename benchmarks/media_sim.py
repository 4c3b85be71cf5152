"""The media load test's two ends, in the load-generator process: Twilio's side of
``/media-stream`` and a minimal fake realtime model (``/v1/realtime``), plus a stub
call-orchestrator that answers hang-ups with 204.

Every 20 ms frame (160 bytes) is stamped: bytes 0-3 call index, 4-7 sequence number,
8-15 ``time.perf_counter()`` at sending (CLOCK_MONOTONIC: comparable across processes
on Linux). A call first sends *priming* frames (sequence ``PRIME``) until the model
side has seen one, so frames the bridge drops before its model session is configured
are not counted as lost; then both ends stream ``frames`` stamped frames each, on
absolute deadlines (no drift), phases staggered across calls. Both ends are
:mod:`benchmarks.ws_peer` connections, so a frame's arrival is timed when it is read,
not when a task gets round to it.
"""

from __future__ import annotations

import asyncio
import base64
import struct
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from ringbook.clock import SystemClock
from ringbook.stream_tokens import DEV_MEDIA_STREAM_TOKEN_SECRET, CallDirection, StreamTokens
from twilio.request_validator import RequestValidator
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from benchmarks.ws_peer import Peer, serve_peers

FRAME_S = 0.020
FRAME_BYTES = 160
PRIME = 0xFFFFFFFF
STAMP = struct.Struct("<IId")
PAD = b"\xff" * (FRAME_BYTES - STAMP.size)
PRIME_LIMIT = 500  # priming frames (10 s) before a call is given up


def stamp(call: int, seq: int) -> str:
    return base64.b64encode(STAMP.pack(call, seq, time.perf_counter()) + PAD).decode()


def unstamp(payload: str) -> tuple[int, int, float]:
    call, seq, sent = STAMP.unpack_from(base64.b64decode(payload[:24]))
    return call, seq, sent


@dataclass
class Direction:
    """One direction of all calls of a phase: frames sent, seqs seen, latencies (s)."""

    sent: dict[int, int] = field(default_factory=dict)
    seen: dict[int, set[int]] = field(default_factory=dict)
    received: int = 0
    latencies: list[float] = field(default_factory=list)

    def record(self, payload: str, now: float) -> int:
        call, seq, sent = unstamp(payload)
        if seq != PRIME:
            self.received += 1
            self.seen.setdefault(call, set()).add(seq)
            self.latencies.append(now - sent)
        return call

    def losses(self) -> tuple[int, int, int]:
        """(frames sent, lost, duplicated)."""
        total = sum(self.sent.values())
        unique = sum(len(s) for s in self.seen.values())
        return total, total - unique, self.received - unique


@dataclass
class Phase:
    frames: int
    calls: int
    up: Direction = field(default_factory=Direction)  # Twilio -> model
    down: Direction = field(default_factory=Direction)  # model -> Twilio
    ready: dict[int, asyncio.Event] = field(default_factory=dict)
    go: asyncio.Event = field(default_factory=asyncio.Event)
    t0: float = 0.0

    def ready_event(self, call: int) -> asyncio.Event:
        return self.ready.setdefault(call, asyncio.Event())


async def _paced(phase: Phase, call: int, offset: float, send: Callable[[int], bool]) -> int:
    """Send ``phase.frames`` frames on absolute deadlines; returns how many went out."""
    sent = 0
    start = phase.t0 + offset + (call % phase.calls) / phase.calls * FRAME_S
    for seq in range(phase.frames):
        delay = start + seq * FRAME_S - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if not send(seq):
            break  # the connection closed
        sent += 1
    return sent


class FakeModel:
    """Accepts the SDK's connection (and, for the baseline, a Twilio-shaped one)."""

    def __init__(self) -> None:
        self.phase: Phase | None = None
        self.server: asyncio.Server | None = None
        self.port = 0
        self._speaking: dict[Peer, asyncio.Task[int] | None] = {}

    async def start(self) -> None:
        self.server = await serve_peers(self._on_text, self._on_open)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for task in self._speaking.values():
            if task is not None:
                task.cancel()
        if self.server is not None:
            self.server.close()

    def _on_open(self, peer: Peer) -> None:
        self._speaking[peer] = None
        peer.closed.add_done_callback(lambda _: self._closed(peer))
        peer.send(orjson.dumps({"type": "session.created", "event_id": "ev_0",
                                "session": {"type": "realtime", "id": "sess_bench"}}))

    def _closed(self, peer: Peer) -> None:
        task = self._speaking.pop(peer, None)
        if task is not None:
            task.cancel()

    def _on_text(self, peer: Peer, raw: bytes, now: float) -> None:
        body = orjson.loads(raw)
        audio = body.get("audio") if body.get("type") == "input_audio_buffer.append" \
            else (body.get("media") or {}).get("payload") if body.get("event") == "media" \
            else None
        phase = self.phase
        if isinstance(audio, str) and phase is not None:
            call = phase.up.record(audio, now)
            if self._speaking.get(peer) is None and peer in self._speaking:
                phase.ready_event(call).set()
                self._speaking[peer] = asyncio.create_task(self._speak(peer, phase, call))
        elif body.get("type") == "session.update":
            peer.send(orjson.dumps({"type": "session.updated", "event_id": "ev_1",
                                    "session": body.get("session")}))

    async def _speak(self, peer: Peer, phase: Phase, call: int) -> int:
        item = f"item_{call}"
        head = {"response_id": "resp_bench", "item_id": item, "output_index": 0,
                "content_index": 0}
        peer.send(orjson.dumps({"type": "response.created", "response": {
            "id": "resp_bench", "object": "realtime.response", "status": "in_progress"}}))
        peer.send(orjson.dumps({"type": "response.output_item.added", "response_id":
                                "resp_bench", "output_index": 0, "item": {
                                    "id": item, "type": "message", "role": "assistant"}}))
        await phase.go.wait()

        def speak(seq: int) -> bool:
            return peer.send(orjson.dumps({"type": "response.output_audio.delta",
                                           "event_id": f"ev_{seq}", **head,
                                           "delta": stamp(call, seq)}))

        sent = await _paced(phase, call, FRAME_S / 2, speak)
        phase.down.sent[call] = sent
        return sent


def _twilio(event: str, sid: str, seq: int, **body: Any) -> str:
    return orjson.dumps({"event": event, "sequenceNumber": str(seq), "streamSid": sid,
                         **body}).decode()


# The bridge runs with its development settings: the simulated carrier's auth token
# signs the upgrade, the development secret the stream tokens (as call-orchestrator's).
DEV_TWILIO_AUTH_TOKEN = "simulated-auth-token"
BENCH_TENANT = uuid.UUID("0195f7a2-0000-7000-8000-00000000beef")


def twilio_headers(url: str) -> dict[str, str]:
    """The upgrade's ``X-Twilio-Signature``, as Twilio signs it: over the URL alone."""
    signature = RequestValidator(DEV_TWILIO_AUTH_TOKEN).compute_signature(url, {})
    return {"X-Twilio-Signature": signature}


def start_message(call: int, sid: str) -> str:
    token = StreamTokens(DEV_MEDIA_STREAM_TOKEN_SECRET, clock=SystemClock()).mint(
        call_sid=f"CA{call:032d}", tenant_id=BENCH_TENANT, request_id=uuid.uuid4(),
        attempt=1, direction=CallDirection.INBOUND)
    return _twilio("start", sid, 1, start={
        "accountSid": "AC" + "0" * 32, "streamSid": sid, "callSid": f"CA{call:032d}",
        "tracks": ["inbound"], "customParameters": {"stream_token": token},
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}})


class TwilioCall:
    """One call's Twilio side: connected/start, priming, ``frames`` media, stop."""

    def __init__(self, url: str, call: int, phase: Phase, *, echo_marks: bool) -> None:
        self.url, self.call, self.phase, self.echo = url, call, phase, echo_marks
        self.sid = f"MZ{call:032d}"
        self.seq = 1
        self.ok = False

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def _media(self, seq: int) -> str:
        n = self._next()
        return _twilio("media", self.sid, n, media={
            "track": "inbound", "chunk": str(n), "timestamp": str(n * 20),
            "payload": stamp(self.call, seq)})

    def on_text(self, peer: Peer, raw: bytes, now: float) -> None:
        """What the bridge (or, for the baseline, the fake model) sends this call."""
        body = orjson.loads(raw)
        event = body.get("event")
        if event == "media":
            self.phase.down.record(body["media"]["payload"], now)
        elif body.get("type") == "response.output_audio.delta":
            self.phase.down.record(body["delta"], now)
        elif event == "mark" and self.echo:
            peer.send(_twilio("mark", self.sid, self._next(), mark=body["mark"]))

    async def prepare(self, peer: Peer) -> None:
        """Open the stream and prime it until the model side has heard this call."""
        peer.send(orjson.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        peer.send(start_message(self.call, self.sid))
        ready = self.phase.ready_event(self.call)
        for _ in range(PRIME_LIMIT):
            if not peer.send(self._media(PRIME)):
                return
            try:
                await asyncio.wait_for(ready.wait(), FRAME_S)
                self.ok = True
                return
            except TimeoutError:
                continue

    async def stream(self, peer: Peer, drain: float) -> None:
        await self.phase.go.wait()
        if self.ok:
            self.phase.up.sent[self.call] = await _paced(
                self.phase, self.call, 0.0, lambda seq: peer.send(self._media(seq)))
        await asyncio.sleep(drain)  # let frames in flight arrive before the stop
        # False if the bridge has ended the call already: nothing left to stop.
        peer.send(_twilio("stop", self.sid, self._next(), stop={
            "accountSid": "AC" + "0" * 32, "callSid": f"CA{self.call:032d}"}))


async def short_call(url: str, call: int, frames: int = 5) -> bool:
    """connected/start, ``frames`` media frames, stop; True once the bridge closed."""
    phase = Phase(frames=frames, calls=1)
    twilio = TwilioCall(url, call, phase, echo_marks=False)
    async with asyncio.timeout(10):
        async with connect(url, compression=None, additional_headers=twilio_headers(url)) as ws:
            await ws.send(orjson.dumps({"event": "connected", "protocol": "Call",
                                        "version": "1.0.0"}).decode())
            await ws.send(start_message(call, twilio.sid))
            for seq in range(frames):
                await ws.send(twilio._media(seq))
            await ws.send(_twilio("stop", twilio.sid, twilio._next(), stop={
                "accountSid": "AC" + "0" * 32, "callSid": f"CA{call:032d}"}))
            try:
                async for _ in ws:
                    pass
            except ConnectionClosed:
                pass
    return True


async def _hangup(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        for _ in range(100_000):  # keep-alive requests, bounded
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if length:
                await reader.readexactly(length)
            writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError,
            asyncio.CancelledError):
        pass  # the peer went away, or the stub is shutting down
    finally:
        writer.close()


async def orchestrator_stub() -> tuple[asyncio.Server, int]:
    server = await asyncio.start_server(_hangup, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]
