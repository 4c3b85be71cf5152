"""What a call session needs from the outside world, as protocols: the socket it talks
over and where it records the stream. Adapters implement them (Starlette, Postgres);
tests can use in-memory ones."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any, Protocol

from ringbook.events import Envelope

from media_bridge.domain.booking_call import SessionSpec
from media_bridge.domain.call_stream import EndReason, StreamIdentity
from media_bridge.domain.conversation_record import ConversationRecord
from media_bridge.domain.model_events import ModelEvent


class MediaSocket(Protocol):
    async def receive(self) -> str | bytes | None:
        """The next frame, or None once the peer has closed the socket."""
        ...

    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int, reason: str = "") -> None:
        """Close if still open; never raises when the peer is already gone."""
        ...


class StreamListener(Protocol):
    """What hangs off a live stream (the conversation): called from the stream's reader,
    in order, so it must not block for long."""

    async def on_start(self, identity: StreamIdentity) -> None: ...

    async def on_media(self, payload: str) -> None:
        """Caller audio: base64 mu-law exactly as Twilio sent it."""
        ...

    async def on_mark(self, name: str) -> None:
        """Twilio has played our audio up to the mark ``name``."""
        ...


class SessionRecorder(Protocol):
    async def started(self, identity: StreamIdentity, at: datetime) -> None: ...

    async def ended(
        self, stream_sid: str, *, at: datetime, frames_in: int, reason: EndReason
    ) -> None: ...


class RealtimeModel(Protocol):
    """One call's speech-to-speech model session (adapters.openai_realtime)."""

    async def configure(self, spec: SessionSpec) -> None: ...

    async def append_audio(self, payload: str) -> None:
        """Caller audio, base64 mu-law passed through unchanged."""
        ...

    async def truncate(self, item_id: str, audio_end_ms: int) -> None: ...

    async def send_tool_output(self, call_id: str, output: str) -> None: ...

    async def create_response(self) -> None: ...

    def events(self) -> AsyncIterator[ModelEvent]:
        """Server events until the model's socket closes."""
        ...

    async def close(self) -> None: ...


ModelFactory = Callable[[], Coroutine[Any, Any, RealtimeModel]]


class ConversationStore(Protocol):
    async def call_request(self, request_id: uuid.UUID) -> dict[str, Any] | None: ...

    async def append(self, events: Sequence[Envelope]) -> None: ...

    async def completed(self, record: ConversationRecord, events: Sequence[Envelope]) -> None: ...


class CallHangup(Protocol):
    async def hang_up(self, call_sid: str) -> None:
        """Ask the carrier side to end the call; never raises."""
        ...
