"""What a call session needs from the outside world, as protocols: the socket it talks
over and where it records the stream. Adapters implement them (ASGI, Postgres);
tests can use in-memory ones.

The two sockets of a call each have an awaited lane and an *inline* one. Inline, a
message is handled inside the socket's read callback, with no task woken, and a reply is
written without an ``await``; that is what lets one core carry a hundred calls' worth of
20 ms frames. Whatever cannot be done at once (back-pressure, a tool call, the end of a
call) is refused by the inline handler and then travels the awaited lane, in order."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from ringbook.events import Envelope
from ringbook.stream_tokens import StreamGrant

from media_bridge.domain.booking_call import SessionSpec
from media_bridge.domain.call_stream import EndReason, StreamIdentity
from media_bridge.domain.conversation_record import ConversationRecord
from media_bridge.domain.model_events import ModelEvent

InlineSink = Callable[[str], bool]


class MediaSocket(Protocol):
    async def receive(self) -> str | bytes | None:
        """The next frame, or None once the peer has closed the socket."""
        ...

    async def send_text(self, data: str) -> None: ...

    def deliver_inline(self, sink: InlineSink | None) -> bool:
        """Offer later text frames to ``sink`` in the read callback, when none is queued
        for ``receive``; ``sink`` returns False for a frame it did not take (then queued
        as usual). False if this socket has no inline lane."""
        ...

    def can_send_now(self) -> bool:
        """True if :meth:`send_now` would write at once."""
        ...

    def send_now(self, texts: Sequence[str]) -> bool:
        """Write ``texts`` as frames without waiting, if :meth:`can_send_now`; False
        (nothing written) otherwise."""
        ...

    async def close(self, code: int, reason: str = "") -> None:
        """Close if still open; never raises when the peer is already gone."""
        ...


class StreamGate(Protocol):
    """Decides whether a started stream is one of our calls (application.stream_admission)."""

    async def admit(self, call_sid: str, parameters: Mapping[str, str]) -> StreamGrant:
        """The verified grant of the stream's token; raises ``StreamRefused`` if the
        stream must not be served."""
        ...


class UsedStreamTokens(Protocol):
    """Every stream token ever admitted, shared by all replicas: a token is good once."""

    async def first_use(self, grant: StreamGrant, at: datetime) -> bool:
        """Record ``grant``'s token as used; False if it had been used before."""
        ...


class StreamListener(Protocol):
    """What hangs off a live stream (the conversation): called from the stream's reader,
    in order, so it must not block for long."""

    async def on_start(self, identity: StreamIdentity) -> None: ...

    async def on_media(self, payload: str) -> None:
        """Caller audio: base64 mu-law exactly as Twilio sent it."""
        ...

    def on_media_now(self, payload: str) -> bool:
        """Caller audio, inline: True once it is dealt with; False if that would need
        waiting (nothing was done: ``on_media`` follows)."""
        ...

    def on_mark(self, name: str) -> None:
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

    def append_audio_now(self, payload: str) -> bool:
        """:meth:`append_audio` without waiting, if the socket allows; False: not sent."""
        ...

    async def truncate(self, item_id: str, audio_end_ms: int) -> None: ...

    async def send_tool_output(self, call_id: str, output: str) -> None: ...

    async def create_response(self) -> None: ...

    def events(self) -> AsyncIterator[ModelEvent]:
        """Server events until the model's socket closes."""
        ...

    def deliver_inline(self, sink: Callable[[ModelEvent], bool] | None) -> bool:
        """Offer later server events to ``sink`` in the socket's read callback while
        :meth:`events` is waiting with nothing queued; those it refuses (False) come
        out of :meth:`events` in order. False if there is no inline lane."""
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
