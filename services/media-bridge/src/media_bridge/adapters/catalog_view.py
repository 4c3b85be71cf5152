"""The CATALOG projection as a call reads it (local Postgres, never catalog-service):
who answers a business number, and the knowledge search of an assistant's files.

Every join matches ``tenant_id`` on both sides, so a link can only ever join a tool,
file or assistant of its own tenant; a link whose other side has not arrived (or is
gone) joins nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import orjson
from ringbook.contracts.catalog import CLIENT, PHONE_NUMBER, AssistantState
from ringbook.logging import get_logger

from media_bridge.adapters.pg_errors import (
    ACQUIRE_TIMEOUT_SECONDS,
    store_unavailable_on_connection_errors,
)
from media_bridge.domain.assistant_session import (
    AssistantProfile,
    ClientProfile,
    HttpTool,
    LineAnswer,
)
from media_bridge.domain.booking_line import BookingLine
from media_bridge.domain.tool_output import Passage

log = get_logger(__name__)

# The assistant's processed files that are not switched off by the link's settings.
_SEARCHED_FILES = (
    "select f.file_id, f.original_name, f.language from assistant_files af"
    " join knowledge_files f on f.file_id = af.file_id and f.tenant_id = af.tenant_id"
    " where af.assistant_id = $1 and af.tenant_id = $2 and f.status = 'processed'"
    " and af.settings -> 'enabled' is distinct from 'false'::jsonb"
)

# One query per language present (websearch syntax: words, "phrases", or, -not), each
# matched against the passages of that language through the GIN index, ranked together.
_SEARCH = (
    f"with files as ({_SEARCHED_FILES}),"
    " queries as (select l.language, websearch_to_tsquery(l.language::regconfig, $3) as query"
    "  from (select distinct language from files where language is not null) as l)"
    " select files.original_name, c.text, ts_rank_cd(c.tsv, q.query) as rank"
    " from queries q"
    " join knowledge_chunks c on c.language = q.language and c.tsv @@ q.query"
    " join files on files.file_id = c.file_id"
    " where c.tenant_id = $2"
    " order by rank desc, c.file_id, c.chunk_index limit $4"
)


def _loads(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


class PostgresCatalogView:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def answering(self, line: str) -> LineAnswer | None:
        with store_unavailable_on_connection_errors():
            async with self._pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as conn:
                number = await conn.fetchrow(
                    "select kind, source_id, tenant_id, assistant_id from numbers"
                    " where number = $1 order by updated_at desc limit 1", line)
                if number is None:
                    return None
                if number["kind"] == CLIENT:
                    return await _client(conn, number["source_id"], number["tenant_id"])
                if number["kind"] == PHONE_NUMBER and number["assistant_id"] is not None:
                    return await _assistant(conn, number["assistant_id"], number["tenant_id"])
                return None

    async def booking_line(self, line: str) -> BookingLine | None:
        with store_unavailable_on_connection_errors():
            row = await self._pool.fetchrow(
                "select tenant_id, number, timezone, business_name from booking_lines"
                " where number = $1 order by updated_at desc limit 1", line)
        if row is None:
            return None
        return BookingLine(tenant_id=row["tenant_id"], number=row["number"],
                           timezone=row["timezone"], business_name=row["business_name"])

    async def search_knowledge(
        self, assistant: AssistantProfile, query: str, limit: int
    ) -> list[Passage]:
        with store_unavailable_on_connection_errors():
            rows = await self._pool.fetch(_SEARCH, assistant.assistant_id, assistant.tenant_id,
                                          query, limit)
        return [Passage(row["original_name"] or "file", row["text"]) for row in rows]


async def _client(conn: Any, client_id: uuid.UUID, tenant_id: uuid.UUID) -> ClientProfile | None:
    row = await conn.fetchrow(
        "select * from clients where client_id = $1 and tenant_id = $2", client_id, tenant_id)
    if row is None or not row["is_active"]:
        return None
    return ClientProfile(
        client_id=client_id, tenant_id=tenant_id, name=row["name"],
        profession=row["profession"], system_prompt=row["system_prompt"],
        voice_id=row["voice_id"], voice_name=row["voice_name"],
    )


async def _assistant(
    conn: Any, assistant_id: uuid.UUID, tenant_id: uuid.UUID
) -> AssistantProfile | None:
    config = await conn.fetchval(
        "select config from assistants where assistant_id = $1 and tenant_id = $2",
        assistant_id, tenant_id)
    if config is None:
        return None  # not arrived yet, or deleted: the default receptionist
    state = AssistantState.model_validate(_loads(config))
    if not state.is_active:
        return None
    tools = await conn.fetch(
        "select t.* from assistant_tools at"
        " join tools t on t.tool_id = at.tool_id and t.tenant_id = at.tenant_id"
        " where at.assistant_id = $1 and at.tenant_id = $2 and t.is_active"
        " order by t.name, t.tool_id", assistant_id, tenant_id)
    has_knowledge = await conn.fetchval(
        f"select exists ({_SEARCHED_FILES})", assistant_id, tenant_id)
    return AssistantProfile.of(assistant_id, tenant_id, state,
                               tools=tuple(_tool(row) for row in tools),
                               has_knowledge=bool(has_knowledge))


def _tool(row: asyncpg.Record) -> HttpTool:
    parameters = _loads(row["parameters"])
    return HttpTool(
        tool_id=row["tool_id"], name=row["name"], description=row["description"] or "",
        endpoint=row["endpoint"], method=row["method"],
        parameters=parameters if isinstance(parameters, dict) else {},
        timeout_seconds=row["timeout_seconds"],
        signing_secret_sealed=row["signing_secret_sealed"],
        headers_sealed=row["headers_sealed"],
        authentication_sealed=row["authentication_sealed"],
    )
