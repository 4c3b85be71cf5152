"""What a call session needs from the outside world, as protocols: the socket it talks
over and where it records the stream. Adapters implement them (Starlette, Postgres);
tests can use in-memory ones."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from media_bridge.domain.call_stream import EndReason, StreamIdentity


class MediaSocket(Protocol):
    async def receive(self) -> str | bytes | None:
        """The next frame, or None once the peer has closed the socket."""
        ...

    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int, reason: str = "") -> None:
        """Close if still open; never raises when the peer is already gone."""
        ...


class SessionRecorder(Protocol):
    async def started(self, identity: StreamIdentity, at: datetime) -> None: ...

    async def ended(
        self, stream_sid: str, *, at: datetime, frames_in: int, reason: EndReason
    ) -> None: ...
