"""The requests store in Postgres: event store + outbox (ringbook), read model, timeline.

``PgRequestTransaction`` works on a connection already inside a transaction: the unit
of work's own, or the pull worker's (whose transaction also holds the inbox claim).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg
import orjson
from ringbook.contracts.request_status import RequestStatus
from ringbook.events import Envelope
from ringbook.store import event_store, sequencing
from ringbook.store.database import Conn

from request_service.adapters.pg_errors import (
    ACQUIRE_TIMEOUT_SECONDS,
    store_unavailable_on_connection_errors,
)
from request_service.domain.requests import CallRequest, Owner, RequestRecord, TimelineEntry

_REQUEST_COLUMNS = (
    "id, tenant_id, user_id, title, description, callback_number, number_to_call,"
    " preferred_time, status, summary, body_hash, created_at, updated_at"
)
_TIMELINE_COLUMNS = "seq, type, message, status, occurred_at"


def _record(row: asyncpg.Record) -> RequestRecord:
    return RequestRecord(
        request_id=row["id"],
        tenant_id=row["tenant_id"],
        user_id=row["user_id"],
        title=row["title"],
        description=row["description"],
        callback_number=row["callback_number"],
        number_to_call=row["number_to_call"],
        preferred_time=row["preferred_time"],
        status=RequestStatus(row["status"]),
        summary=row["summary"],
        body_hash=row["body_hash"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _entry(row: asyncpg.Record) -> TimelineEntry:
    return TimelineEntry(
        seq=row["seq"],
        type=row["type"],
        message=row["message"],
        status=RequestStatus(row["status"]),
        occurred_at=row["occurred_at"],
    )


class PgRequestTransaction:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def lock(self, request_id: uuid.UUID) -> RequestRecord | None:
        row = await self._conn.fetchrow(
            f"select {_REQUEST_COLUMNS} from requests where id = $1 for update", request_id
        )
        return None if row is None else _record(row)

    async def current_version(self, request_id: uuid.UUID) -> int:
        return await event_store.current_version(self._conn, request_id)

    async def append(self, events: Sequence[Envelope]) -> None:
        await event_store.append(self._conn, events)

    async def insert_request(
        self,
        request: CallRequest,
        *,
        tenant_id: uuid.UUID,
        status: RequestStatus,
        at: datetime,
    ) -> None:
        await self._conn.execute(
            "insert into requests (id, tenant_id, user_id, title, description,"
            " callback_number, number_to_call, preferred_time, user_profile, status,"
            " body_hash, created_at, updated_at)"
            " values ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $12)",
            request.request_id,
            tenant_id,
            request.user_id,
            request.title,
            request.description,
            request.callback_number,
            request.number_to_call,
            request.preferred_time,
            orjson.dumps(request.user_profile.model_dump(mode="json")).decode(),
            str(status),
            request.fingerprint(),
            at,
        )

    async def set_status(
        self,
        request_id: uuid.UUID,
        status: RequestStatus,
        *,
        at: datetime,
        summary: str | None = None,
    ) -> None:
        await self._conn.execute(
            "update requests set status = $2, summary = coalesce($3, summary),"
            " updated_at = $4 where id = $1",
            request_id,
            str(status),
            summary,
            at,
        )

    async def add_timeline(
        self, request_id: uuid.UUID, event: Envelope, status: RequestStatus
    ) -> None:
        await self._conn.execute(
            "insert into request_timeline (request_id, event_id, type, message, status,"
            " occurred_at) values ($1, $2, $3, $4, $5, $6) on conflict (event_id) do nothing",
            request_id,
            event.id,
            event.type,
            event.data.message(),
            str(status),
            event.occurred_at,
        )

    async def in_order(self, consumer: str, event: Envelope) -> bool:
        return await sequencing.in_order(self._conn, consumer, event)


class PgUnitOfWork:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgRequestTransaction]:
        # A connection lost mid-transaction (or at commit) is also "unavailable": the
        # client gets 503 and, if the commit did land, its retry is answered 202.
        with store_unavailable_on_connection_errors():
            async with (
                self._pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as conn,
                conn.transaction(),
            ):
                yield PgRequestTransaction(conn)


class PgRequestQueries:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def get(self, request_id: uuid.UUID, owner: Owner) -> RequestRecord | None:
        with store_unavailable_on_connection_errors():
            async with self._pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as conn:
                row = await conn.fetchrow(
                    f"select {_REQUEST_COLUMNS} from requests"
                    " where id = $1 and tenant_id = $2 and user_id = $3",
                    request_id,
                    owner.tenant_id,
                    owner.user_id,
                )
        return None if row is None else _record(row)

    async def page(
        self, owner: Owner, *, status: RequestStatus | None, limit: int, offset: int
    ) -> tuple[list[RequestRecord], int]:
        where = "tenant_id = $1 and user_id = $2 and ($3::text is null or status = $3)"
        args = (owner.tenant_id, owner.user_id, None if status is None else str(status))
        with store_unavailable_on_connection_errors():
            async with self._pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as conn:
                total = await conn.fetchval(f"select count(*) from requests where {where}", *args)
                rows = await conn.fetch(
                    f"select {_REQUEST_COLUMNS} from requests where {where}"
                    " order by created_at desc, id desc limit $4 offset $5",
                    *args,
                    limit,
                    offset,
                )
        return [_record(r) for r in rows], int(total)

    async def timeline(self, request_id: uuid.UUID) -> list[TimelineEntry]:
        with store_unavailable_on_connection_errors():
            async with self._pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as conn:
                rows = await conn.fetch(
                    f"select {_TIMELINE_COLUMNS} from request_timeline where request_id = $1"
                    " order by occurred_at, seq",
                    request_id,
                )
        return [_entry(r) for r in rows]

    async def timeline_after(
        self, request_id: uuid.UUID, seq: int, *, limit: int = 500
    ) -> list[TimelineEntry]:
        with store_unavailable_on_connection_errors():
            async with self._pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as conn:
                rows = await conn.fetch(
                    f"select {_TIMELINE_COLUMNS} from request_timeline"
                    " where request_id = $1 and seq > $2 order by seq limit $3",
                    request_id,
                    seq,
                    limit,
                )
        return [_entry(r) for r in rows]
