"""The realtime model port over the official ``openai`` SDK (Realtime GA protocol).

One :class:`OpenAIRealtimeModel` per call. The connection is opened with
``AsyncOpenAI(...).realtime.connect(model=...)`` as soon as Twilio's websocket is
accepted, so the handshake is over before the caller's first words.

Hot path (50 frames per second each way, per call):

* caller audio goes out as ``input_audio_buffer.append`` whose ``audio`` is the base64
  string Twilio sent, unchanged. It is serialised with orjson and written straight to
  the SDK's own websocket, framed and masked by us
  (:meth:`~ringbook.websocket_fast_client.FastClientConnection.write_text_now`, or
  :func:`~ringbook.websocket_writes.write_now` on a plain ``websockets`` connection),
  falling back to the SDK's ``send_raw`` whenever that would have to wait: the SDK's
  typed ``input_audio_buffer.append`` runs a pydantic transform over the whole
  client-event union (~0.3 ms per frame measured, a core per ~70 calls), and even
  ``send_raw`` (its send queue, then ``websockets``' ``send``) costs ~23 µs a frame
  against ~3 µs written directly;
* server events are decoded with orjson into the small dataclasses of
  ``domain.model_events``, never into the SDK's pydantic models; events the bridge does
  not act on are skipped after reading their ``type``. The SDK's websocket is our
  :class:`~ringbook.websocket_fast_client.FastClientConnection` (through the
  ``create_connection`` option it passes on to ``websockets``), so while :meth:`events`
  waits with nothing queued, each event is first offered inline to the sink given to
  :meth:`deliver_inline`, in the socket's read callback (its frame cut from the bytes
  read without ``websockets``' Python parser); what that refuses comes out of
  :meth:`events` (read with ``recv_bytes``), in order.

Everything else (``session.update``, ``conversation.item.create``, ``truncate``,
``response.create``) goes through the SDK's typed resources.

The connection is opened without permessage-deflate (base64 audio hardly compresses,
and deflating 100 frames a second per call costs CPU and latency) and with a bound on
the size of a server message, so a misbehaving server cannot make us buffer without
limit.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from openai import AsyncOpenAI
from openai.resources.realtime.realtime import AsyncRealtimeConnection
from openai.types.realtime import RealtimeSessionCreateRequestParam
from ringbook.logging import get_logger
from ringbook.websocket_fast_client import FastClientConnection
from ringbook.websocket_inline import InlineClientConnection
from ringbook.websocket_writes import write_now
from websockets.asyncio.connection import Connection
from websockets.exceptions import ConnectionClosed

from media_bridge.domain.booking_call import SessionSpec
from media_bridge.domain.model_events import (
    AgentTranscript,
    AudioDelta,
    CalleeTranscript,
    FunctionCall,
    ModelError,
    ModelEvent,
    ResponseDone,
    SpeechStarted,
    SpeechStopped,
)
from media_bridge.domain.model_usage import TokenCounts
from media_bridge.settings import MediaBridgeSettings

log = get_logger(__name__)

PCMU = {"type": "audio/pcmu"}
# Server events are small (an audio delta is a few KB); session.updated echoes our
# instructions and tools. Far above both, far below "unlimited" (the SDK's default).
MAX_SERVER_EVENT_BYTES = 4 * 1024 * 1024


def _s(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    return value if isinstance(value, str) else ""


def _count(body: object, key: str) -> int:
    value = body.get(key) if isinstance(body, dict) else None
    # bool is an int in Python; a count it is not.
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def parse_usage(response: dict[str, Any]) -> TokenCounts | None:
    """A ``response.done``'s ``response.usage`` (``input_token_details.{text_tokens,
    audio_tokens, cached_tokens}``, ``output_token_details.{text_tokens,
    audio_tokens}``); None if there is none, or it is not an object. A count that is
    missing or not a whole number is taken as 0, and ``TokenCounts.of`` bounds the rest:
    the cost of a call is reported, never a reason for the call to fail."""
    usage = response.get("usage")
    if not isinstance(usage, dict):
        return None
    given, made = usage.get("input_token_details"), usage.get("output_token_details")
    return TokenCounts.of(
        input_text=_count(given, "text_tokens"),
        input_audio=_count(given, "audio_tokens"),
        cached_input=_count(given, "cached_tokens"),
        output_text=_count(made, "text_tokens"),
        output_audio=_count(made, "audio_tokens"),
    )


def parse_server_event(raw: bytes | str) -> ModelEvent | None:
    """One server event, or None for what the bridge ignores (and for garbage: a bad
    event must not end a phone call)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        log.warning("realtime_event_not_json", size=len(raw))
        return None
    if not isinstance(body, dict):
        return None
    kind = body.get("type")
    if kind == "response.output_audio.delta":
        delta = body.get("delta")
        return AudioDelta(_s(body, "item_id"), delta) if isinstance(delta, str) else None
    if kind == "input_audio_buffer.speech_started":
        return SpeechStarted(_s(body, "item_id"))
    if kind == "input_audio_buffer.speech_stopped":
        return SpeechStopped(_s(body, "item_id"))
    if kind == "response.output_audio_transcript.done":
        return AgentTranscript(_s(body, "item_id"), _s(body, "transcript"))
    if kind == "conversation.item.input_audio_transcription.completed":
        return CalleeTranscript(_s(body, "item_id"), _s(body, "transcript"))
    if kind == "response.function_call_arguments.done":
        return FunctionCall(_s(body, "call_id"), _s(body, "name"), _s(body, "arguments"))
    if kind == "response.done":
        response = body.get("response")
        if isinstance(response, dict):
            return ResponseDone(_s(response, "id"), _s(response, "status"),
                                parse_usage(response))
        return ResponseDone("", "")
    if kind == "error":
        error = body.get("error")
        if isinstance(error, dict):
            return ModelError(_s(error, "code"), _s(error, "message"))
        return ModelError("", "")
    return None


def _append_message(payload: str) -> bytes:
    return orjson.dumps({"type": "input_audio_buffer.append", "audio": payload})


# --- the connection ---------------------------------------------------------------------------


class ModelConnectionClosed(Exception):
    """The model's websocket is gone."""


class OpenAIRealtimeModel:
    """One call's realtime model connection (opened by :meth:`connect`)."""

    def __init__(self, connection: AsyncRealtimeConnection, settings: MediaBridgeSettings) -> None:
        self._conn = connection
        self._settings = settings
        self._closed = False
        self._reading = False  # events() waits for a message and is busy with none
        self._inline_sink: Callable[[ModelEvent], bool] | None = None

    @classmethod
    async def connect(
        cls, client: AsyncOpenAI, settings: MediaBridgeSettings
    ) -> OpenAIRealtimeModel:
        options: Any = {
            "compression": None,
            "max_size": MAX_SERVER_EVENT_BYTES,
            # Not among the SDK's typed options, but passed on to websockets' connect().
            "create_connection": FastClientConnection,
        }
        connection = await client.realtime.connect(
            model=settings.realtime_model, websocket_connection_options=options
        ).enter()
        return cls(connection, settings)

    @property
    def websocket(self) -> Connection | None:
        """The SDK's own websocket, if it is the ``websockets`` connection we know how to
        write to directly (an SDK that keeps it elsewhere only costs the fast path). Read
        on every use: if the SDK ever reconnects, this is the new socket."""
        ws = getattr(self._conn, "_connection", None)
        return ws if isinstance(ws, Connection) else None

    async def configure(self, spec: SessionSpec) -> None:
        """``session.update``: the spec's instructions, tools, voice (else
        ``REALTIME_VOICE``) and, if it has them, its speed and output limit per response."""
        s = self._settings
        session: RealtimeSessionCreateRequestParam = {
            "type": "realtime",
            "instructions": spec.instructions,
            "output_modalities": ["audio"],
            "tools": [tool.as_param() for tool in spec.tools],  # type: ignore[misc]
            "tool_choice": "auto",
            "audio": {
                "input": {
                    "format": PCMU,  # type: ignore[typeddict-item]
                    "transcription": {"model": s.realtime_transcription_model},
                    "turn_detection": {
                        "type": "server_vad",
                        "create_response": True,
                        "interrupt_response": True,
                    },
                },
                "output": {"format": PCMU,  # type: ignore[typeddict-item]
                           "voice": spec.voice or s.realtime_voice},
            },
        }
        if spec.speed is not None:
            session["audio"]["output"]["speed"] = spec.speed
        if spec.max_output_tokens is not None:
            session["max_output_tokens"] = spec.max_output_tokens
        await self._conn.session.update(session=session)

    async def append_audio(self, payload: str) -> None:
        """Caller audio, the base64 string exactly as Twilio sent it (see module doc)."""
        message = _append_message(payload)
        if not self._write_now(message):
            await self._send_raw(message)

    def append_audio_now(self, payload: str) -> bool:
        return self._write_now(_append_message(payload))

    def _write_now(self, message: bytes) -> bool:
        ws = self.websocket
        if isinstance(ws, FastClientConnection):
            return ws.write_text_now(message)
        return ws is not None and write_now(ws, message)

    def deliver_inline(self, sink: Callable[[ModelEvent], bool] | None) -> bool:
        ws = self.websocket
        if not isinstance(ws, InlineClientConnection):
            return False
        self._inline_sink = sink
        ws.deliver_to(None if sink is None else self._offer)
        return True

    def _offer(self, raw: bytes) -> bool:
        sink = self._inline_sink
        if sink is None or not self._reading:
            return False
        event = parse_server_event(raw)
        return event is None or sink(event)  # None: nothing the bridge acts on

    async def truncate(self, item_id: str, audio_end_ms: int) -> None:
        await self._guard(
            self._conn.conversation.item.truncate(
                item_id=item_id, content_index=0, audio_end_ms=audio_end_ms
            )
        )

    async def send_tool_output(self, call_id: str, output: str) -> None:
        await self._guard(
            self._conn.conversation.item.create(
                item={"type": "function_call_output", "call_id": call_id, "output": output}
            )
        )

    async def create_response(self, instructions: str | None = None) -> None:
        if instructions is None:
            await self._guard(self._conn.response.create())
        else:
            await self._guard(self._conn.response.create(response={"instructions": instructions}))

    async def events(self) -> AsyncIterator[ModelEvent]:
        """Server events the bridge acts on, until the socket closes (then returns)."""
        while True:
            self._reading = True
            try:
                raw = await self._conn.recv_bytes()
            except ConnectionClosed:
                return
            finally:
                self._reading = False
            event = parse_server_event(raw)
            if event is not None:
                yield event

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.deliver_inline(None)
        with contextlib.suppress(Exception):
            await self._conn.close()

    async def _send_raw(self, data: bytes) -> None:
        await self._guard(self._conn.send_raw(data.decode()))

    async def _guard(self, sending: Any) -> None:
        try:
            await sending
        except Exception as exc:  # closed socket, SDK send-queue errors: the model is gone
            raise ModelConnectionClosed(repr(exc)) from exc
