"""SQL for calls that must end (``pending_hangups``, migration 0004)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ringbook.store.database import Conn


@dataclass(frozen=True)
class PendingHangup:
    call_sid: str
    request_id: uuid.UUID
    reason: str
    tries: int  # including the one just claimed
    created_at: datetime


async def add(conn: Conn, *, call_sid: str, request_id: uuid.UUID, reason: str,
              now: datetime) -> None:
    """Due at once; a call already waiting to end keeps its row (and its backoff)."""
    await conn.execute(
        "insert into pending_hangups (call_sid, request_id, reason, due_at, created_at)"
        " values ($1, $2, $3, $4, $4) on conflict (call_sid) do nothing",
        call_sid, request_id, reason, now,
    )


async def claim_due(conn: Conn, now: datetime, limit: int,
                    backoff: Callable[[int], timedelta]) -> list[PendingHangup]:
    """Due rows, each moved ``backoff(tries)`` ahead before anyone asks the carrier
    (SKIP LOCKED: replicas never claim the same row). Call inside a transaction."""
    rows = await conn.fetch(
        "select * from pending_hangups where due_at <= $1 order by due_at limit $2"
        " for update skip locked",
        now, limit,
    )
    claimed = []
    for row in rows:
        tries = row["tries"] + 1
        await conn.execute(
            "update pending_hangups set tries = $2, due_at = $3 where call_sid = $1",
            row["call_sid"], tries, now + backoff(tries),
        )
        claimed.append(PendingHangup(row["call_sid"], row["request_id"], row["reason"], tries,
                                     row["created_at"]))
    return claimed


async def done(conn: Conn, call_sid: str) -> None:
    await conn.execute("delete from pending_hangups where call_sid = $1", call_sid)


async def failed(conn: Conn, call_sid: str, error: str) -> None:
    await conn.execute("update pending_hangups set last_error = $2 where call_sid = $1",
                       call_sid, error[:500])


async def next_due(conn: Conn) -> datetime | None:
    due: datetime | None = await conn.fetchval("select min(due_at) from pending_hangups")
    return due

