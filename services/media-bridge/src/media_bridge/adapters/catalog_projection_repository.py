"""The CATALOG projection's writes (migration 0004), inside the consumer's transaction:
one event's changes commit with its inbox claim or not at all.

Upserts never move a row to another tenant (``where … tenant_id = excluded.tenant_id``):
aggregate ids are unique, so a mismatch is a forged or broken event, and it changes
nothing. A passage's text search vector is built in its file's language, a Postgres
text search configuration; a name Postgres does not know is indexed as ``simple``
(no stemming) rather than failing the event for ever.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import orjson
from ringbook.contracts.bookings import SlotScheduleSet
from ringbook.events import Envelope
from ringbook.store import sequencing
from ringbook.store.database import Conn

# The text search configuration named ``$n``, or simple if Postgres has none of that name.
_CONFIG = (
    "coalesce((select oid::regconfig from pg_catalog.pg_ts_config"
    " where cfgname = lower(${n}) limit 1), 'simple'::regconfig)"
)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _clean(text: str) -> str:
    return text.replace("\x00", "")  # Postgres text cannot hold NUL


class PostgresCatalogProjection:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def in_order(self, consumer: str, event: Envelope) -> bool:
        return await sequencing.in_order(self._conn, consumer, event)

    async def ended(self, aggregate_id: uuid.UUID) -> bool:
        return bool(await self._conn.fetchval(
            "select exists (select 1 from catalog_ended where aggregate_id = $1)", aggregate_id))

    async def end(self, event: Envelope) -> None:
        await self._conn.execute(
            "insert into catalog_ended (aggregate_id, aggregate, ended_at) values ($1, $2, $3)"
            " on conflict (aggregate_id) do nothing",
            event.aggregate_id, event.aggregate, event.occurred_at)

    # --- assistants and their links ---------------------------------------------------

    async def put_assistant(self, event: Envelope, config: dict[str, Any]) -> None:
        await self._conn.execute(
            "insert into assistants (assistant_id, tenant_id, config, updated_at)"
            " values ($1, $2, $3::jsonb, $4) on conflict (assistant_id) do update"
            " set config = excluded.config, updated_at = excluded.updated_at"
            " where assistants.tenant_id = excluded.tenant_id",
            event.aggregate_id, event.tenant_id, _json(config), event.occurred_at)

    async def drop_assistant(self, assistant_id: uuid.UUID) -> None:
        await self._conn.execute("delete from assistant_tools where assistant_id = $1",
                                 assistant_id)
        await self._conn.execute("delete from assistant_files where assistant_id = $1",
                                 assistant_id)
        await self._conn.execute("delete from assistants where assistant_id = $1", assistant_id)

    async def link_tool(self, event: Envelope, tool_id: uuid.UUID) -> None:
        await self._conn.execute(
            "insert into assistant_tools (assistant_id, tool_id, tenant_id) values ($1, $2, $3)"
            " on conflict do nothing",
            event.aggregate_id, tool_id, event.tenant_id)

    async def unlink_tool(self, assistant_id: uuid.UUID, tool_id: uuid.UUID) -> None:
        await self._conn.execute(
            "delete from assistant_tools where assistant_id = $1 and tool_id = $2",
            assistant_id, tool_id)

    async def link_file(
        self, event: Envelope, file_id: uuid.UUID, settings: dict[str, Any]
    ) -> None:
        await self._conn.execute(
            "insert into assistant_files (assistant_id, file_id, tenant_id, settings)"
            " values ($1, $2, $3, $4::jsonb) on conflict (assistant_id, file_id) do update"
            " set settings = excluded.settings"
            " where assistant_files.tenant_id = excluded.tenant_id",
            event.aggregate_id, file_id, event.tenant_id, _json(settings))

    async def unlink_file(self, assistant_id: uuid.UUID, file_id: uuid.UUID) -> None:
        await self._conn.execute(
            "delete from assistant_files where assistant_id = $1 and file_id = $2",
            assistant_id, file_id)

    # --- tools ---------------------------------------------------------------------------

    async def put_tool(self, event: Envelope, tool: dict[str, Any]) -> None:
        await self._conn.execute(
            "insert into tools (tool_id, tenant_id, name, description, endpoint, method,"
            " parameters, headers_sealed, authentication_sealed, signing_secret_sealed,"
            " timeout_seconds, is_active, updated_at)"
            " values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $13)"
            " on conflict (tool_id) do update set name = excluded.name,"
            " description = excluded.description, endpoint = excluded.endpoint,"
            " method = excluded.method, parameters = excluded.parameters,"
            " headers_sealed = excluded.headers_sealed,"
            " authentication_sealed = excluded.authentication_sealed,"
            " signing_secret_sealed = excluded.signing_secret_sealed,"
            " timeout_seconds = excluded.timeout_seconds, is_active = excluded.is_active,"
            " updated_at = excluded.updated_at where tools.tenant_id = excluded.tenant_id",
            event.aggregate_id, event.tenant_id, tool["name"], tool.get("description"),
            tool["endpoint"], tool["method"], _json(tool.get("parameters") or {}),
            tool.get("headers_sealed"), tool.get("authentication_sealed"),
            tool["signing_secret_sealed"], float(tool["timeout_seconds"]),
            bool(tool["is_active"]), event.occurred_at)

    async def drop_tool(self, tool_id: uuid.UUID) -> None:
        await self._conn.execute("delete from assistant_tools where tool_id = $1", tool_id)
        await self._conn.execute("delete from tools where tool_id = $1", tool_id)

    # --- knowledge files -------------------------------------------------------------------

    async def put_file(self, event: Envelope, original_name: str | None) -> None:
        await self._conn.execute(
            "insert into knowledge_files (file_id, tenant_id, original_name, status, updated_at)"
            " values ($1, $2, $3, 'uploading', $4) on conflict (file_id) do update"
            " set original_name = coalesce(excluded.original_name,"
            " knowledge_files.original_name), updated_at = excluded.updated_at"
            " where knowledge_files.tenant_id = excluded.tenant_id",
            event.aggregate_id, event.tenant_id, original_name, event.occurred_at)

    async def add_chunks(
        self, event: Envelope, language: str, chunks: Sequence[tuple[int, str]]
    ) -> None:
        if not chunks:
            return
        await self._conn.execute(
            "insert into knowledge_chunks (file_id, chunk_index, tenant_id, language, text, tsv)"
            " select $1, u.i, $2, l.cfg::text, u.t, to_tsvector(l.cfg, u.t)"
            " from unnest($4::integer[], $5::text[]) as u(i, t)"
            f" cross join (select {_CONFIG.format(n=3)} as cfg) as l"
            " on conflict (file_id, chunk_index) do update set language = excluded.language,"
            " text = excluded.text, tsv = excluded.tsv"
            " where knowledge_chunks.tenant_id = excluded.tenant_id",
            event.aggregate_id, event.tenant_id, language,
            [index for index, _ in chunks], [_clean(text) for _, text in chunks])

    async def file_processed(self, event: Envelope, language: str, chunk_count: int) -> None:
        await self._set_status(event, "processed", language)
        # A file processed again with fewer passages leaves none of the old ones behind.
        await self._conn.execute(
            "delete from knowledge_chunks where file_id = $1 and chunk_index >= $2",
            event.aggregate_id, chunk_count)

    async def file_failed(self, event: Envelope) -> None:
        await self._set_status(event, "error", None)
        await self._conn.execute("delete from knowledge_chunks where file_id = $1",
                                 event.aggregate_id)

    async def _set_status(self, event: Envelope, status: str, language: str | None) -> None:
        await self._conn.execute(
            "insert into knowledge_files (file_id, tenant_id, status, language, updated_at)"
            f" values ($1, $2, $3, case when $4::text is null then null"
            f" else {_CONFIG.format(n=4)}::text end, $5)"
            " on conflict (file_id) do update set status = excluded.status,"
            " language = coalesce(excluded.language, knowledge_files.language),"
            " updated_at = excluded.updated_at"
            " where knowledge_files.tenant_id = excluded.tenant_id",
            event.aggregate_id, event.tenant_id, status, language, event.occurred_at)

    async def drop_file(self, file_id: uuid.UUID) -> None:
        await self._conn.execute("delete from assistant_files where file_id = $1", file_id)
        await self._conn.execute("delete from knowledge_chunks where file_id = $1", file_id)
        await self._conn.execute("delete from knowledge_files where file_id = $1", file_id)

    # --- numbers and clients -------------------------------------------------------------

    async def put_line(
        self, event: Envelope, *, number: str, kind: str, assistant_id: uuid.UUID | None
    ) -> None:
        await self._conn.execute(
            "insert into numbers (source_id, kind, number, tenant_id, assistant_id, updated_at)"
            " values ($1, $2, $3, $4, $5, $6) on conflict (source_id) do update"
            " set number = excluded.number, assistant_id = excluded.assistant_id,"
            " updated_at = excluded.updated_at"
            " where numbers.tenant_id = excluded.tenant_id and numbers.kind = excluded.kind",
            event.aggregate_id, kind, number, event.tenant_id, assistant_id, event.occurred_at)

    async def drop_line(self, source_id: uuid.UUID) -> None:
        await self._conn.execute("delete from numbers where source_id = $1", source_id)

    async def put_client(self, event: Envelope, client: dict[str, Any]) -> None:
        await self._conn.execute(
            "insert into clients (client_id, tenant_id, name, profession, system_prompt,"
            " voice_id, voice_name, is_active, updated_at)"
            " values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (client_id) do update"
            " set name = excluded.name, profession = excluded.profession,"
            " system_prompt = excluded.system_prompt, voice_id = excluded.voice_id,"
            " voice_name = excluded.voice_name, is_active = excluded.is_active,"
            " updated_at = excluded.updated_at where clients.tenant_id = excluded.tenant_id",
            event.aggregate_id, event.tenant_id, client["name"], client.get("profession"),
            client.get("system_prompt"), client.get("voice_id"), client.get("voice_name"),
            bool(client.get("is_active", True)), event.occurred_at)

    async def drop_client(self, client_id: uuid.UUID) -> None:
        await self._conn.execute("delete from clients where client_id = $1", client_id)

    # --- booking lines (migration 0005; consumer media-bridge-booking-lines) ---------------

    async def put_booking_line(self, event: Envelope, schedule: SlotScheduleSet) -> None:
        await self._conn.execute(
            "insert into booking_lines (schedule_id, tenant_id, business_kind, business_id,"
            " number, timezone, business_name, updated_at)"
            " values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (schedule_id) do update"
            " set number = excluded.number, timezone = excluded.timezone,"
            " business_name = excluded.business_name, updated_at = excluded.updated_at"
            " where booking_lines.tenant_id = excluded.tenant_id",
            event.aggregate_id, event.tenant_id, schedule.business_kind, schedule.business_id,
            schedule.number, schedule.timezone, _clean(schedule.business_name)[:200],
            event.occurred_at)

    async def drop_booking_line(self, schedule_id: uuid.UUID) -> None:
        await self._conn.execute("delete from booking_lines where schedule_id = $1",
                                 schedule_id)
