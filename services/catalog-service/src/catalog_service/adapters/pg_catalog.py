"""The catalog's unit of work in Postgres: one transaction, its repositories, and
``record`` (event store + outbox, then the read models, on the same connection)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg
from ringbook.events import Envelope
from ringbook.store import event_store
from ringbook.store.database import Conn
from ringbook.store.unavailable import ACQUIRE_TIMEOUT_SECONDS, reraise_unavailable

from catalog_service.adapters.pg_bookings import PgBookings, PgSlotSchedules
from catalog_service.adapters.pg_projection import project
from catalog_service.adapters.pg_repositories import (
    PgAssistants,
    PgBusinessHours,
    PgClients,
    PgFiles,
    PgPhoneNumbers,
    PgTools,
)
from catalog_service.application.ports import ConcurrentChange, StoreUnavailable


class PgCatalogTransaction:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn
        self.assistants = PgAssistants(conn)
        self.tools = PgTools(conn)
        self.files = PgFiles(conn)
        self.numbers = PgPhoneNumbers(conn)
        self.clients = PgClients(conn)
        self.hours = PgBusinessHours(conn)
        self.schedules = PgSlotSchedules(conn)
        self.bookings = PgBookings(conn)

    async def version(self, aggregate_id: uuid.UUID) -> int:
        return await event_store.current_version(self._conn, aggregate_id)

    async def is_claimed(self, number: str) -> bool:
        return bool(await self._conn.fetchval(
            "select exists (select 1 from number_claims where number = $1)", number))

    async def record(self, events: Sequence[Envelope]) -> None:
        await event_store.append(self._conn, events)
        for event in events:
            await project(self._conn, event)


@asynccontextmanager
async def pg_transaction(pool: asyncpg.Pool) -> AsyncIterator[Conn]:
    """One transaction on a pooled connection, its failures as the ports name them."""
    # A connection lost mid-transaction (or at commit) is "unavailable" too: 503.
    with reraise_unavailable(StoreUnavailable):
        try:
            async with pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as conn, conn.transaction():
                yield conn
        except asyncpg.TransactionRollbackError as exc:
            raise ConcurrentChange(str(exc)) from exc


class PgUnitOfWork:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgCatalogTransaction]:
        async with pg_transaction(self._pool) as conn:
            yield PgCatalogTransaction(conn)


class PgToolUsage:
    """The tool usage projection, on the pull worker's transaction."""

    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def count_use(self, tenant_id: uuid.UUID, tool_id: uuid.UUID, at: datetime,
                        duration_ms: int) -> bool:
        status = await self._conn.execute(
            "update tools set total_calls = total_calls + 1,"
            " last_used = greatest(last_used, $3),"
            " avg_response_time = (coalesce(avg_response_time, 0) * total_calls + $4)"
            "                     / (total_calls + 1)"
            " where id = $1 and tenant_id = $2",
            tool_id, tenant_id, at, float(duration_ms))
        return bool(status == "UPDATE 1")
