"""Reads of the catalog's read models, on a connection inside a transaction. Every
query names the tenant, except those that follow links from a row already read as the
tenant's (links only ever join one tenant's rows: the commands check it)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg
import orjson
from ringbook.contracts.catalog import AssistantState, ClientState, PhoneNumberState, ToolState
from ringbook.store.database import Conn

from catalog_service.adapters.pg_rows import LOCKS, SnapshotTable
from catalog_service.domain.records import (
    AssistantLinks,
    AssistantRecord,
    ClientRecord,
    FileRecord,
    HoursRecord,
    LinkedFile,
    LinkedTool,
    Lock,
    PhoneNumberRecord,
    ToolRecord,
    ToolUsage,
)

ASSISTANTS = SnapshotTable("assistants", AssistantState)
TOOLS = SnapshotTable("tools", ToolState)
PHONE_NUMBERS = SnapshotTable("phone_numbers", PhoneNumberState, created_column="purchased_at")
CLIENTS = SnapshotTable("clients", ClientState)

_FILE_COLUMNS = (
    "id, tenant_id, filename, original_name, file_type, file_size, s3_url, description,"
    " status, error, language, chunk_count, version, created_at, updated_at"
)


class PgAssistants:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def get(self, tenant_id: uuid.UUID, assistant_id: uuid.UUID, *, lock: Lock = "none"
                  ) -> AssistantRecord | None:
        return await ASSISTANTS.get(self._conn, tenant_id, assistant_id, lock)

    async def all(self, tenant_id: uuid.UUID) -> list[AssistantRecord]:
        return await ASSISTANTS.select(self._conn, "tenant_id = $1 order by created_at, id",
                                       tenant_id)

    async def links(self, assistant_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, AssistantLinks]:
        ids = list(assistant_ids)
        tools = await self._conn.fetch(
            "select l.assistant_id, t.id, t.name, t.endpoint from assistant_tools l"
            " join assistants a on a.id = l.assistant_id"
            " join tools t on t.id = l.tool_id and t.tenant_id = a.tenant_id"
            " where l.assistant_id = any($1::uuid[]) order by l.linked_at, t.id", ids)
        files = await self._conn.fetch(
            "select l.assistant_id, f.id, f.filename, f.status, l.settings"
            " from assistant_files l join assistants a on a.id = l.assistant_id"
            " join knowledge_files f on f.id = l.file_id and f.tenant_id = a.tenant_id"
            " where l.assistant_id = any($1::uuid[]) order by l.linked_at, f.id", ids)
        found: dict[uuid.UUID, AssistantLinks] = {i: AssistantLinks() for i in ids}
        for row in tools:
            found[row["assistant_id"]].tools.append(
                LinkedTool(row["id"], row["name"], row["endpoint"]))
        for row in files:
            found[row["assistant_id"]].files.append(LinkedFile(
                row["id"], row["filename"], row["status"], orjson.loads(row["settings"])))
        return found

    async def linked_to_tool(self, tool_id: uuid.UUID) -> list[AssistantRecord]:
        return await ASSISTANTS.select(
            self._conn, "id in (select assistant_id from assistant_tools where tool_id = $1)"
            " order by id", tool_id, lock="update")

    async def linked_to_file(self, file_id: uuid.UUID) -> list[AssistantRecord]:
        return await ASSISTANTS.select(
            self._conn, "id in (select assistant_id from assistant_files where file_id = $1)"
            " order by id", file_id, lock="update")


def _tool(row: asyncpg.Record) -> ToolRecord:
    return ToolRecord(TOOLS.record(row), ToolUsage(
        total_calls=row["total_calls"], last_used=row["last_used"],
        avg_response_time=row["avg_response_time"]))


class PgTools:
    _USAGE = ", total_calls, last_used, avg_response_time"

    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def get(self, tenant_id: uuid.UUID, tool_id: uuid.UUID, *, lock: Lock = "none"
                  ) -> ToolRecord | None:
        row = await self._conn.fetchrow(
            f"select {TOOLS.select_list}{self._USAGE} from tools"
            f" where id = $1 and tenant_id = $2{LOCKS[lock]}", tool_id, tenant_id)
        return None if row is None else _tool(row)

    async def all(self, tenant_id: uuid.UUID) -> list[ToolRecord]:
        rows = await self._conn.fetch(
            f"select {TOOLS.select_list}{self._USAGE} from tools where tenant_id = $1"
            " order by created_at, id", tenant_id)
        return [_tool(r) for r in rows]

    async def owned(self, tenant_id: uuid.UUID, tool_ids: Sequence[uuid.UUID], *,
                    lock: Lock = "none") -> set[uuid.UUID]:
        return await _owned(self._conn, "tools", tenant_id, tool_ids, lock)


async def _owned(conn: Conn, table: str, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID],
                 lock: Lock) -> set[uuid.UUID]:
    if not ids:
        return set()
    rows = await conn.fetch(
        f"select id from {table} where tenant_id = $1 and id = any($2::uuid[])"
        f" order by id{LOCKS[lock]}", tenant_id, list(ids))
    return {r["id"] for r in rows}


def _file(row: asyncpg.Record, text: str | None) -> FileRecord:
    return FileRecord(**{k: row[k] for k in _FILE_COLUMNS.replace(" ", "").split(",")},
                      extracted_text=text)


class PgFiles:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def get(self, tenant_id: uuid.UUID, file_id: uuid.UUID, *, lock: Lock = "none"
                  ) -> FileRecord | None:
        row = await self._conn.fetchrow(
            f"select {_FILE_COLUMNS}, extracted_text from knowledge_files"
            f" where id = $1 and tenant_id = $2{LOCKS[lock]}", file_id, tenant_id)
        return None if row is None else _file(row, row["extracted_text"])

    async def all(self, tenant_id: uuid.UUID) -> list[FileRecord]:
        rows = await self._conn.fetch(
            f"select {_FILE_COLUMNS} from knowledge_files where tenant_id = $1"
            " order by created_at, id", tenant_id)
        return [_file(r, None) for r in rows]

    async def owned(self, tenant_id: uuid.UUID, file_ids: Sequence[uuid.UUID], *,
                    lock: Lock = "none") -> set[uuid.UUID]:
        return await _owned(self._conn, "knowledge_files", tenant_id, file_ids, lock)


class PgPhoneNumbers:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def get(self, tenant_id: uuid.UUID, number_id: uuid.UUID, *, lock: Lock = "none"
                  ) -> PhoneNumberRecord | None:
        return await PHONE_NUMBERS.get(self._conn, tenant_id, number_id, lock)

    async def all(self, tenant_id: uuid.UUID) -> list[PhoneNumberRecord]:
        return await PHONE_NUMBERS.select(
            self._conn, "tenant_id = $1 order by purchased_at, id", tenant_id)

    async def routed_to(self, assistant_id: uuid.UUID) -> list[PhoneNumberRecord]:
        return await PHONE_NUMBERS.select(
            self._conn, "assistant_id = $1 order by id", assistant_id, lock="update")


class PgClients:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def get(self, tenant_id: uuid.UUID, client_id: uuid.UUID, *, lock: Lock = "none"
                  ) -> ClientRecord | None:
        return await CLIENTS.get(self._conn, tenant_id, client_id, lock)

    async def all(self, tenant_id: uuid.UUID) -> list[ClientRecord]:
        return await CLIENTS.select(self._conn, "tenant_id = $1 order by created_at, id",
                                    tenant_id)


class PgBusinessHours:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def get(self, tenant_id: uuid.UUID, number: str) -> HoursRecord | None:
        row = await self._conn.fetchrow(
            "select id, tenant_id, number, weekly_hours, timezone, version, updated_at"
            " from business_hours where tenant_id = $1 and number = $2", tenant_id, number)
        return None if row is None else HoursRecord(**dict(row))
