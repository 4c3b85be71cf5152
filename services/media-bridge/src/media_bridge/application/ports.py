"""What a conversation needs from the outside world, as protocols: the call's media
stream and its way back to the caller, the socket under them, the realtime model, where
it records the stream and stores its events, and the hang-up. Adapters implement them
(Twilio Media Streams over ASGI, the openai SDK, Postgres, HTTP to call-orchestrator);
tests can use in-memory ones. The application imports these, never an adapter.

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
from media_bridge.domain.call_stream import EndReason, StreamIdentity, StreamProgress
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


class CallerLine(Protocol):
    """The way back to the caller on a live stream. Frames are made first (``audio_frame``,
    ``mark_frame``: counted as sent), then written awaited (``send_frames``) or, from an
    inline handler, at once (``send_frames_now``, only right after ``can_send_now`` said
    yes, with no ``await`` between)."""

    @property
    def progress(self) -> StreamProgress: ...

    def audio_frame(self, payload: str) -> str:
        """The frame that plays ``payload`` (base64 mu-law, unchanged), counted as sent."""
        ...

    def audio_ms(self, payload: str) -> int:
        """How many milliseconds ``payload`` plays on this line."""
        ...

    def mark_frame(self, name: str) -> str:
        """The frame of mark ``name``, recorded as pending."""
        ...

    async def send_frames(self, frames: list[str]) -> None: ...

    def can_send_now(self) -> bool: ...

    def send_frames_now(self, frames: list[str]) -> None: ...

    async def send_mark(self, name: str) -> None: ...

    async def clear_audio(self) -> None:
        """Drop the audio the caller's side still has queued (barge-in)."""
        ...


class CallStream(Protocol):
    """One call's media stream, from its first frame to its end: it calls the
    conversation (a :class:`StreamListener`) as frames arrive."""

    @property
    def line(self) -> CallerLine: ...

    async def run(self) -> EndReason:
        """Serve the stream until it ends; returns why it ended."""
        ...

    def end(self, reason: EndReason) -> None:
        """End the stream from another task: ``run`` returns ``reason`` soon after."""
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

    async def create_response(self, instructions: str | None = None) -> None:
        """Ask for a response; ``instructions`` for this one response only."""
        ...

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


class StoreUnavailable(Exception):
    """Postgres could not be reached, or the connection died under the write: the write
    may or may not have committed. Worth retrying, with the same events."""


class VersionConflict(Exception):
    """A version of the aggregate was already stored by other events: nothing of this
    write was stored."""


class ConversationStore(Protocol):
    """Where a conversation's events and its final row go (Postgres: its event table and
    outbox). Each write is one transaction, and writing a batch again is harmless: one
    whose events are already stored (an earlier attempt committed, its answer was lost)
    is left as it is."""

    async def call_request(self, request_id: uuid.UUID) -> dict[str, Any] | None: ...

    async def append(self, events: Sequence[Envelope]) -> None:
        """Store ``events`` together; raises StoreUnavailable or VersionConflict."""
        ...

    async def completed(self, record: ConversationRecord, events: Sequence[Envelope]) -> None:
        """The conversation's row and its last events (call_completed), together."""
        ...

    async def stored_version(self, aggregate_id: uuid.UUID) -> int:
        """The aggregate's highest stored version (0: none); raises StoreUnavailable."""
        ...


class CallHangup(Protocol):
    async def hang_up(self, call_sid: str) -> None:
        """Ask the carrier side to end the call; never raises."""
        ...

