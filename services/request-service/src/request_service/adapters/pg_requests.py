"""The requests store in Postgres: event store + outbox (ringbook), read model, timeline.

``PgRequestTransaction`` works on a connection already inside a transaction: the unit
of work's own, or the pull worker's (whose transaction also holds the inbox claim).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg
import orjson
from ringbook.contracts.request_status import RequestStatus
from ringbook.events import Envelope
from ringbook.store import event_store, sequencing
from ringbook.store.database import Conn
from ringbook.store.event_store import ConcurrencyConflict

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


# The accept in ONE statement, so in one round trip and its own commit: the event and
# its outbox row (the kernel's CTEs), the read-model row and its first timeline entry,
# all skipped when the id is stored already, in which case the stored row comes back.
# No row lock is needed: two accepts of one new id both try to insert version 1, the
# unique index makes the second wait for the first's commit and then fail, and the
# caller reads the winner's row on its second round.
_ACCEPT = (
    f"with existing as (select {_REQUEST_COLUMNS} from requests where id = $1::uuid),"
    f" {event_store.append_one_ctes(15, unless_exists='existing')},"
    " request as (insert into requests (id, tenant_id, user_id, title, description,"
    " callback_number, number_to_call, preferred_time, user_profile, status, body_hash,"
    " created_at, updated_at) select $1::uuid, $2::uuid, $3::uuid, $4::text, $5::text,"
    " $6::text, $7::text, $8::text, $9::jsonb, $10::text, $11::text, $12::timestamptz,"
    " $12::timestamptz from stored),"
    " timeline as (insert into request_timeline (request_id, event_id, type, message,"
    " status, occurred_at) select $1::uuid, id, $14::text, $13::text, $10::text,"
    " $12::timestamptz from stored)"
    f" select {_REQUEST_COLUMNS} from existing"
)


def _nothing() -> None:
    return None


class PgUnitOfWork:
    """``after_commit`` runs after each commit that may have queued events: the pool
    sends no NOTIFY (``ServiceRuntime.notify_outbox``), so this is the relay's wake."""

    def __init__(self, pool: asyncpg.Pool, *, after_commit: Callable[[], None] = _nothing
                 ) -> None:
        self._pool = pool
        self._after_commit = after_commit

    async def accept(
        self, request: CallRequest, event: Envelope, *, tenant_id: uuid.UUID,
        status: RequestStatus,
    ) -> RequestRecord | None:
        args = (
            request.request_id, tenant_id, request.user_id, request.title,
            request.description, request.callback_number, request.number_to_call,
            request.preferred_time,
            orjson.dumps(request.user_profile.model_dump(mode="json")).decode(),
            str(status), request.fingerprint(), event.occurred_at, event.data.message(),
            event.type, *event_store.append_params(event),
        )
        with store_unavailable_on_connection_errors():
            async with self._pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as conn:
                try:
                    row = await conn.fetchrow(_ACCEPT, *args)
                except asyncpg.UniqueViolationError as exc:
                    # Lost the race for this id to a commit that happened meanwhile.
                    conflict = event_store.conflict_of([event], exc)
                    if conflict is None and exc.constraint_name != "requests_pkey":
                        raise
                    raise conflict or ConcurrencyConflict(request.request_id, 1) from exc
        if row is not None:
            return _record(row)
        self._after_commit()
        return None

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
        self._after_commit()


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
