"""Call attempts in Postgres: one row per dial (or inbound call), its carrier state, the
result its conversation reported, and when the carrier was last asked about it."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg
from ringbook.store.database import Conn

from call_orchestrator.domain.attempts import Attempt, AttemptState


def _attempt(row: asyncpg.Record) -> Attempt:
    return Attempt(row["id"], row["request_id"], row["attempt"],
                   AttemptState(row["state"]), row["call_sid"], row["result"])


class PgCallAttempts:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def add(self, request_id: uuid.UUID, attempt: int, now: datetime) -> Attempt | None:
        # Committed before dialing (at most one dial per attempt number).
        row = await self._conn.fetchrow(
            "insert into call_attempts (id, request_id, attempt, state, created_at, updated_at)"
            " values ($1, $2, $3, 'dialing', $4, $4) on conflict do nothing returning *",
            uuid.uuid4(), request_id, attempt, now,
        )
        return _attempt(row) if row else None

    async def request_of(self, attempt_id: uuid.UUID) -> uuid.UUID | None:
        request_id: uuid.UUID | None = await self._conn.fetchval(
            "select request_id from call_attempts where id = $1", attempt_id)
        return request_id

    async def by_sid(self, call_sid: str) -> uuid.UUID | None:
        attempt_id: uuid.UUID | None = await self._conn.fetchval(
            "select id from call_attempts where call_sid = $1", call_sid)
        return attempt_id

    async def lock(self, attempt_id: uuid.UUID) -> Attempt | None:
        row = await self._conn.fetchrow(
            "select * from call_attempts where id = $1 for update", attempt_id)
        return _attempt(row) if row else None

    async def lock_number(self, request_id: uuid.UUID, attempt: int) -> Attempt | None:
        row = await self._conn.fetchrow(
            "select * from call_attempts where request_id = $1 and attempt = $2 for update",
            request_id, attempt,
        )
        return _attempt(row) if row else None

    async def live(self, request_id: uuid.UUID) -> Attempt | None:
        row = await self._conn.fetchrow(
            "select * from call_attempts where request_id = $1"
            " and state in ('dialing', 'placed', 'connected') order by attempt desc limit 1",
            request_id,
        )
        return _attempt(row) if row else None

    async def update(self, attempt_id: uuid.UUID, state: AttemptState, now: datetime,
                     call_sid: str | None = None) -> None:
        await self._conn.execute(
            "update call_attempts set state = $2, updated_at = $3,"
            " call_sid = coalesce($4, call_sid) where id = $1",
            attempt_id, state.value, now, call_sid,
        )

    async def discard_unsent(self, attempt_id: uuid.UUID) -> None:
        await self._conn.execute(
            "delete from call_attempts where id = $1 and state = 'dialing'", attempt_id)

    async def stale_dialing(self, before: datetime) -> list[tuple[uuid.UUID, uuid.UUID]]:
        rows = await self._conn.fetch(
            "select id, request_id from call_attempts where state = 'dialing'"
            " and updated_at < $1",
            before,
        )
        return [(r["id"], r["request_id"]) for r in rows]

    async def set_result(self, attempt_id: uuid.UUID, result: str, now: datetime) -> None:
        await self._conn.execute(
            "update call_attempts set result = $2, result_due_at = null, updated_at = $3"
            " where id = $1",
            attempt_id, result, now,
        )

    async def expect_result(self, attempt_id: uuid.UUID, *, due_at: datetime,
                            duration_seconds: float) -> None:
        await self._conn.execute(
            "update call_attempts set result_due_at = $2, duration_seconds = $3"
            " where id = $1 and result is null",
            attempt_id, due_at, duration_seconds,
        )

    async def overdue_results(self, now: datetime, limit: int
                              ) -> list[tuple[uuid.UUID, uuid.UUID, float]]:
        rows = await self._conn.fetch(
            "select id, request_id, coalesce(duration_seconds, 0) as duration"
            " from call_attempts where result is null and result_due_at <= $1"
            " order by result_due_at limit $2",
            now, limit,
        )
        return [(r["id"], r["request_id"], r["duration"]) for r in rows]

    async def claim_carrier_checks(self, now: datetime, *, placed_before: datetime,
                                   connected_before: datetime, limit: int) -> list[Attempt]:
        rows = await self._conn.fetch(
            "update call_attempts set carrier_checked_at = $1 where id in ("
            "  select id from call_attempts where call_sid is not null and ("
            "    (state = 'placed' and greatest(updated_at, carrier_checked_at) <= $2)"
            "    or (state = 'connected' and greatest(updated_at, carrier_checked_at) <= $3))"
            "  order by updated_at limit $4 for update skip locked)"
            " returning *",
            now, placed_before, connected_before, limit,
        )
        return [_attempt(r) for r in rows]
