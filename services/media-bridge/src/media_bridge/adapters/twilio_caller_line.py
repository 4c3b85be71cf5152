"""The way back to the caller: the frames the bridge sends Twilio on a live stream (the
``CallerLine`` port over Twilio Media Streams).

Audio and marks are made into frames first (``audio_frame``, ``mark_frame``, which
count them as sent), then written either awaited (``send_frames``) or, from an inline
handler, at once (``send_frames_now``, only after ``can_send_now`` said yes in the same
step: with no ``await`` in between, nothing can have changed). One delta's frames go out
together, so a mark never gets ahead of the audio it follows.
"""

from __future__ import annotations

from media_bridge.adapters.twilio_media_stream import (
    base64_audio_ms,
    clear_message,
    mark_message,
    media_message,
)
from media_bridge.application.metrics import FRAMES_OUT
from media_bridge.application.ports import MediaSocket
from media_bridge.domain.call_stream import StreamProgress

# The frame counters are bumped once per this many frames (a second of audio), and by
# the rest at the end: a locked increment per frame cost 1.5% of the bridge's CPU.
FRAME_COUNT_BATCH = 50


class TwilioCallerLine:
    # How long a payload plays: Twilio's streams are 8 kHz mu-law, 8 bytes a millisecond.
    # The function itself, not a wrapper: it runs for every delta of the model's audio.
    audio_ms = staticmethod(base64_audio_ms)

    def __init__(self, socket: MediaSocket, progress: StreamProgress) -> None:
        self._socket, self.progress = socket, progress
        self._stream_sid: str | None = None  # while the stream is live

    def open(self, stream_sid: str) -> None:
        self._stream_sid = stream_sid

    def close(self) -> None:
        """The stream has ended: nothing more is sent. Counts what is left to count."""
        self._stream_sid = None
        FRAMES_OUT.inc(self.progress.frames_out % FRAME_COUNT_BATCH)

    async def send_audio(self, payload: str) -> None:
        """Play base64 mu-law audio to the caller (the string is sent unchanged)."""
        await self._socket.send_text(self.audio_frame(payload))

    async def send_mark(self, name: str) -> None:
        await self._socket.send_text(self.mark_frame(name))

    async def clear_audio(self) -> None:
        await self._socket.send_text(clear_message(self._live()))

    def audio_frame(self, payload: str) -> str:
        """The frame that plays ``payload``, counted as sent."""
        frame = media_message(self._live(), payload)
        self.progress.frames_out += 1
        if self.progress.frames_out % FRAME_COUNT_BATCH == 0:
            FRAMES_OUT.inc(FRAME_COUNT_BATCH)
        return frame

    def mark_frame(self, name: str) -> str:
        """The frame of mark ``name``, recorded as pending."""
        frame = mark_message(self._live(), name)
        self.progress.mark_sent(name)
        return frame

    async def send_frames(self, frames: list[str]) -> None:
        for frame in frames:
            await self._socket.send_text(frame)

    def can_send_now(self) -> bool:
        return self._stream_sid is not None and self._socket.can_send_now()

    def send_frames_now(self, frames: list[str]) -> None:
        if not self._socket.send_now(frames):
            raise RuntimeError("the media socket refused an inline write it had allowed")

    def _live(self) -> str:
        if self._stream_sid is None:
            raise RuntimeError("the media stream is not live")
        return self._stream_sid
