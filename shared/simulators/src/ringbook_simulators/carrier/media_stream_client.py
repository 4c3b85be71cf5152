"""Twilio's side of a bidirectional Media Stream, played by the SIMULATED carrier.

For an answered call whose TwiML holds ``<Connect><Stream url>``, Twilio opens a
websocket to that URL and sends, as JSON text frames:

* ``connected`` (``protocol`` "Call", ``version`` "1.0.0"), without a sequence number;
* ``start`` with the stream/call/account SIDs, ``tracks``, ``customParameters``
  (the TwiML ``<Parameter>`` pairs) and ``mediaFormat`` (8 kHz mono mu-law);
* ``media`` every 20 ms: ``track``, ``chunk``, ``timestamp`` (ms since start) and a
  base64 ``payload`` of 160 mu-law bytes - silence (0xFF), or the simulated practice's
  voice while it says one of its scripted lines (see ``practice``);
* ``dtmf`` when the callee presses a key, ``mark`` when audio sent to it has played;
* ``stop`` when the stream ends.

The application may send back ``media`` (audio to play), ``mark`` (tell me when the
audio up to here has played) and ``clear`` (drop queued audio). The simulator plays
nothing, so it records those messages and echoes every mark back at once; the arrival
of ``media`` is what tells the simulated practice that the agent is speaking.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson
import structlog
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from ringbook_simulators.carrier.practice import PracticeVoice
from ringbook_simulators.carrier.records import MediaStats
from ringbook_simulators.realtime.audio import mean_abs_level
from ringbook_simulators.realtime.scripts import PracticeLine
from ringbook_simulators.realtime.vad import DEFAULT_THRESHOLD

SAMPLE_RATE = 8000
MULAW_SILENCE = b"\xff"

_log = structlog.get_logger("ringbook_simulators.carrier.media")


def connected_message() -> dict[str, Any]:
    return {"event": "connected", "protocol": "Call", "version": "1.0.0"}


def start_message(
    *,
    sequence_number: int,
    stream_sid: str,
    account_sid: str,
    call_sid: str,
    custom_parameters: Mapping[str, str],
) -> dict[str, Any]:
    return {
        "event": "start",
        "sequenceNumber": str(sequence_number),
        "start": {
            "accountSid": account_sid,
            "streamSid": stream_sid,
            "callSid": call_sid,
            "tracks": ["inbound"],
            "customParameters": dict(custom_parameters),
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": SAMPLE_RATE, "channels": 1},
        },
        "streamSid": stream_sid,
    }


def media_message(
    *, sequence_number: int, stream_sid: str, chunk: int, timestamp_ms: int, payload: bytes
) -> dict[str, Any]:
    return {
        "event": "media",
        "sequenceNumber": str(sequence_number),
        "media": {
            "track": "inbound",
            "chunk": str(chunk),
            "timestamp": str(timestamp_ms),
            "payload": base64.b64encode(payload).decode("ascii"),
        },
        "streamSid": stream_sid,
    }


def dtmf_message(*, sequence_number: int, stream_sid: str, digit: str) -> dict[str, Any]:
    return {
        "event": "dtmf",
        "streamSid": stream_sid,
        "sequenceNumber": str(sequence_number),
        "dtmf": {"track": "inbound_track", "digit": digit},
    }


def mark_message(*, sequence_number: int, stream_sid: str, name: str) -> dict[str, Any]:
    return {
        "event": "mark",
        "sequenceNumber": str(sequence_number),
        "streamSid": stream_sid,
        "mark": {"name": name},
    }


def stop_message(
    *, sequence_number: int, stream_sid: str, account_sid: str, call_sid: str
) -> dict[str, Any]:
    return {
        "event": "stop",
        "sequenceNumber": str(sequence_number),
        "streamSid": stream_sid,
        "stop": {"accountSid": account_sid, "callSid": call_sid},
    }


def _speech(message: dict[str, Any]) -> bool:
    """Whether a ``media`` message from the application carries speech, not silence."""
    media = message.get("media")
    payload = media.get("payload") if isinstance(media, dict) else None
    try:
        audio = base64.b64decode(payload, validate=True) if isinstance(payload, str) else b""
    except binascii.Error:
        return False
    return mean_abs_level(audio) > DEFAULT_THRESHOLD


class StreamEnd(StrEnum):
    """Why the simulated Media Stream finished."""

    HOLD_ELAPSED = "hold-elapsed"  # the simulated callee hung up
    CALL_ENDED = "call-ended"  # hung up via REST
    PEER_CLOSED = "peer-closed"  # the application closed the websocket
    CONNECT_FAILED = "connect-failed"


@dataclass
class MediaStreamSession:
    """One websocket conversation; ``run`` returns when the stream is over."""

    url: str
    stream_sid: str
    account_sid: str
    call_sid: str
    parameters: Mapping[str, str]
    stats: MediaStats
    ended: asyncio.Event
    dtmf_queue: asyncio.Queue[str]
    frame_ms: int = 20
    open_timeout: float = 5.0
    headers: Mapping[str, str] = field(default_factory=dict)
    # What the simulated practice says (see ``practice``); empty: a silent callee. An
    # inbound caller listens ``listen_ms`` first and, greeted, says ``greeted`` instead.
    practice: Sequence[PracticeLine] = ()
    greeted: Sequence[PracticeLine] | None = None
    listen_ms: int = 0
    agent_quiet_ms: int = 700
    _sequence: itertools.count[int] = field(init=False, default_factory=lambda: itertools.count(1))
    _voice: PracticeVoice | None = field(init=False, default=None)

    async def run(self, hold_seconds: float) -> StreamEnd:
        try:
            ws = await connect(
                self.url,
                additional_headers=dict(self.headers),
                user_agent_header="Twilio.TmeWs/1.0 (ringbook-simulated-carrier)",
                open_timeout=self.open_timeout,
                # Bounded so that carrier shutdown is not held up by an unresponsive peer.
                close_timeout=2.0,
            )
        except (OSError, TimeoutError, WebSocketException) as exc:
            self.stats.connect_error = f"{type(exc).__name__}: {exc}"
            _log.warning("simulated media stream could not connect", url=self.url, error=str(exc))
            return StreamEnd.CONNECT_FAILED
        self.stats.connected = True
        try:
            return await self._converse(ws, hold_seconds)
        finally:
            await ws.close()

    async def _send(self, ws: ClientConnection, message: dict[str, Any]) -> None:
        await ws.send(orjson.dumps(message).decode("utf-8"))

    async def _converse(self, ws: ClientConnection, hold_seconds: float) -> StreamEnd:
        await self._send(ws, connected_message())
        await self._send(
            ws,
            start_message(
                sequence_number=next(self._sequence),
                stream_sid=self.stream_sid,
                account_sid=self.account_sid,
                call_sid=self.call_sid,
                custom_parameters=self.parameters,
            ),
        )
        if self.practice:
            self._voice = PracticeVoice(
                self.practice,
                frame_ms=self.frame_ms,
                agent_quiet_seconds=self.agent_quiet_ms / 1000,
                said=self.stats.practice_said,
                greeted_lines=self.greeted,
                listen_seconds=self.listen_ms / 1000,
            )
        reader = asyncio.create_task(self._read(ws), name=f"simcarrier-read-{self.call_sid}")
        ended = asyncio.create_task(self.ended.wait(), name=f"simcarrier-end-{self.call_sid}")
        try:
            result = await self._stream_media(ws, hold_seconds, reader, ended)
            if result is not StreamEnd.PEER_CLOSED:
                await self._send(
                    ws,
                    stop_message(
                        sequence_number=next(self._sequence),
                        stream_sid=self.stream_sid,
                        account_sid=self.account_sid,
                        call_sid=self.call_sid,
                    ),
                )
                self.stats.stop_sent = True
            return result
        except ConnectionClosed:
            self.stats.closed_by_peer = True
            return StreamEnd.PEER_CLOSED
        finally:
            for task in (reader, ended):
                task.cancel()
            await asyncio.gather(reader, ended, return_exceptions=True)

    async def _stream_media(
        self,
        ws: ClientConnection,
        hold_seconds: float,
        reader: asyncio.Task[None],
        ended: asyncio.Task[bool],
    ) -> StreamEnd:
        loop = asyncio.get_running_loop()
        frame_seconds = self.frame_ms / 1000
        silence = MULAW_SILENCE * (SAMPLE_RATE * self.frame_ms // 1000)
        started = loop.time()
        deadline = started + hold_seconds
        chunk = 0
        while True:
            # Pace by the ideal schedule rather than sleeping a fixed 20 ms, so send
            # latency does not make the simulated audio clock drift.
            wait = max(0.0, min(started + chunk * frame_seconds, deadline) - loop.time())
            done, _ = await asyncio.wait({reader, ended}, timeout=wait)
            if ended in done:
                return StreamEnd.CALL_ENDED
            if reader in done:
                return StreamEnd.PEER_CLOSED
            if loop.time() >= deadline:
                return StreamEnd.HOLD_ELAPSED
            chunk += 1
            timestamp_ms = (chunk - 1) * self.frame_ms
            payload = silence
            if self._voice is not None:
                payload = self._voice.frame(loop.time(), timestamp_ms)
                if payload != silence:
                    self.stats.sent_speech_frames += 1
            await self._send(
                ws,
                media_message(
                    sequence_number=next(self._sequence),
                    stream_sid=self.stream_sid,
                    chunk=chunk,
                    timestamp_ms=timestamp_ms,
                    payload=payload,
                ),
            )
            self.stats.sent_media += 1
            while not self.dtmf_queue.empty():
                digit = self.dtmf_queue.get_nowait()
                await self._send(
                    ws,
                    dtmf_message(
                        sequence_number=next(self._sequence),
                        stream_sid=self.stream_sid,
                        digit=digit,
                    ),
                )
                self.stats.sent_dtmf += 1

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                await self._handle(ws, raw)
        except ConnectionClosed:
            pass
        # Reaching here means the application closed the socket while we streamed.
        self.stats.closed_by_peer = True

    async def _handle(self, ws: ClientConnection, raw: str | bytes) -> None:
        try:
            message = orjson.loads(raw) if isinstance(raw, str) else None
        except orjson.JSONDecodeError:
            message = None
        if not isinstance(message, dict):
            self.stats.received_other += 1
            return
        event = message.get("event")
        if event == "media":
            self.stats.received_media += 1
            if self._voice is not None:
                self._voice.agent_audio(asyncio.get_running_loop().time(), _speech(message))
        elif event == "clear":
            self.stats.received_clears += 1
        elif event == "mark":
            mark = message.get("mark")
            name = str(mark.get("name", "")) if isinstance(mark, dict) else ""
            self.stats.received_marks += 1
            self.stats.received_mark_names.append(name)
            # Nothing is queued for playback in the simulator, so the mark has "played".
            await self._send(
                ws,
                mark_message(
                    sequence_number=next(self._sequence), stream_sid=self.stream_sid, name=name
                ),
            )
        else:
            self.stats.received_other += 1
