"""The extraction worker's writes: the knowledge_file aggregate's events and the
``knowledge_files`` row that projects them, on the pull worker's connection, so the
outcome, its events (with their outbox rows) and the inbox claim commit together."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

from ringbook.events import Envelope
from ringbook.store import event_store
from ringbook.store.database import Conn

from catalog_service.application.file_processing import StoredUpload


class PgFileOutcomes:
    """``application.file_processing.FileOutcomes`` on one connection (in a transaction)."""

    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def upload(self, file_id: uuid.UUID, *, lock: bool = False) -> StoredUpload | None:
        row = await self._conn.fetchrow(
            "select tenant_id, file_type, s3_url, status from knowledge_files where id = $1"
            + (" for update" if lock else ""),
            file_id,
        )
        if row is None:
            return None
        return StoredUpload(tenant_id=row["tenant_id"], file_type=row["file_type"],
                            s3_url=row["s3_url"], status=row["status"])

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        async with self._conn.transaction():
            yield

    async def current_version(self, file_id: uuid.UUID) -> int:
        return await event_store.current_version(self._conn, file_id)

    async def append(self, events: Sequence[Envelope]) -> None:
        await event_store.append(self._conn, events)

    async def mark_processed(
        self, file_id: uuid.UUID, *, language: str, chunk_count: int, text: str,
        version: int, at: datetime,
    ) -> None:
        await self._conn.execute(
            "update knowledge_files set status = 'processed', error = null, language = $2,"
            " chunk_count = $3, extracted_text = $4, version = $5, updated_at = $6"
            " where id = $1",
            file_id, language, chunk_count, text, version, at,
        )

    async def mark_failed(
        self, file_id: uuid.UUID, *, reason: str, version: int, at: datetime
    ) -> None:
        await self._conn.execute(
            "update knowledge_files set status = 'error', error = $2, language = null,"
            " chunk_count = null, extracted_text = null, version = $3, updated_at = $4"
            " where id = $1",
            file_id, reason, version, at,
        )
