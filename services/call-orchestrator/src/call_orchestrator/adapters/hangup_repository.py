"""Calls that must end, in Postgres (``pending_hangups``, migration 0004)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from ringbook.store.database import Conn

from call_orchestrator.domain.hangups import PendingHangup


class PgPendingHangups:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def add(self, *, call_sid: str, request_id: uuid.UUID, reason: str,
                  now: datetime) -> None:
        await self._conn.execute(
            "insert into pending_hangups (call_sid, request_id, reason, due_at, created_at)"
            " values ($1, $2, $3, $4, $4) on conflict (call_sid) do nothing",
            call_sid, request_id, reason, now,
        )

    async def claim_due(self, now: datetime, limit: int,
                        backoff: Callable[[int], timedelta]) -> list[PendingHangup]:
        # SKIP LOCKED: replicas never claim the same row; each claimed row is moved
        # ahead before anyone asks the carrier.
        rows = await self._conn.fetch(
            "select * from pending_hangups where due_at <= $1 order by due_at limit $2"
            " for update skip locked",
            now, limit,
        )
        claimed = []
        for row in rows:
            tries = row["tries"] + 1
            await self._conn.execute(
                "update pending_hangups set tries = $2, due_at = $3 where call_sid = $1",
                row["call_sid"], tries, now + backoff(tries),
            )
            claimed.append(PendingHangup(row["call_sid"], row["request_id"], row["reason"],
                                         tries, row["created_at"]))
        return claimed

    async def done(self, call_sid: str) -> None:
        await self._conn.execute("delete from pending_hangups where call_sid = $1", call_sid)

    async def failed(self, call_sid: str, error: str) -> None:
        await self._conn.execute(
            "update pending_hangups set last_error = $2 where call_sid = $1",
            call_sid, error[:500])

    async def next_due(self) -> datetime | None:
        due: datetime | None = await self._conn.fetchval(
            "select min(due_at) from pending_hangups")
        return due
