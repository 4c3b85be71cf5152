"""media_sessions rows: one insert when a stream starts, one update when it ends."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from media_bridge.domain.call_stream import EndReason, StreamIdentity


class PostgresSessionRecorder:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def started(self, identity: StreamIdentity, at: datetime) -> None:
        # A stream sid is unique per stream; a repeated start (a confused peer) must not
        # reset the row of the stream already running.
        await self._pool.execute(
            "insert into media_sessions (stream_sid, call_sid, started_at) values ($1, $2, $3)"
            " on conflict (stream_sid) do nothing",
            identity.stream_sid,
            identity.call_sid,
            at,
        )

    async def ended(
        self, stream_sid: str, *, at: datetime, frames_in: int, reason: EndReason
    ) -> None:
        await self._pool.execute(
            "update media_sessions set ended_at = $2, frames_in = $3, end_reason = $4"
            " where stream_sid = $1 and ended_at is null",
            stream_sid,
            at,
            frames_in,
            reason.value,
        )
