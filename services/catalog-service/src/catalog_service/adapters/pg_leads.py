"""The leads' store in Postgres: the ``leads`` read model and its analysis jobs, written
in the transaction that appends the events.

An import's leads are written by ONE statement (their snapshots as a jsonb array,
unpacked by ``jsonb_to_recordset``) and their jobs by another, after the events'
pipelined append: a 5,000-row file costs a handful of round trips, not 15,000.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
from ringbook.contracts.leads import LeadAnalyzed, LeadDeleted, LeadState
from ringbook.events import Envelope
from ringbook.store import event_store
from ringbook.store.database import Conn

from catalog_service.adapters.pg_catalog import pg_transaction
from catalog_service.adapters.pg_lead_queries import SELECT, page_query, record_of
from catalog_service.application.lead_ports import LeadFilter
from catalog_service.domain.leads import LeadRecord

_STATE_FIELDS = tuple(LeadState.model_fields)
_COLUMNS = {
    "id": "uuid", "tenant_id": "uuid", "version": "integer", "name": "text",
    "email": "text", "phone": "text", "status": "text", "channel": "text", "notes": "text",
    "last_contact": "date", "disg_type": "text", "language": "text", "extra": "jsonb",
    "needs_action": "boolean", "next_action_at": "date", "next_action_description": "text",
    "import_batch_id": "uuid", "analysis_state": "text", "analysis_reason": "text",
    "analysis_model": "text", "analyzed_at": "timestamptz", "at": "timestamptz",
}
_RECORDSET = ", ".join(f"{name} {kind}" for name, kind in _COLUMNS.items())
_STATE_COLUMNS = [c for c in _COLUMNS if c not in ("id", "tenant_id", "at")
                  and not c.startswith("analy")]
_VERDICT_COLUMNS = ("analysis_reason", "analysis_model", "analyzed_at")


def _upsert(with_analysis: bool) -> str:
    """The snapshots' upsert; ``with_analysis``: they set the analysis state (queued
    again, or a verdict), else they leave it as it is (a salesperson's decision)."""
    sets = [f"{c} = excluded.{c}" for c in _STATE_COLUMNS]
    if with_analysis:
        # A re-queued lead keeps its last verdict's reason until the next verdict.
        sets.append("analysis_state = excluded.analysis_state")
        sets += [f"{c} = case when excluded.analysis_state = 'analyzed' then excluded.{c}"
                 f" else leads.{c} end" for c in _VERDICT_COLUMNS]
    columns = ["id", "tenant_id", *_STATE_COLUMNS, "analysis_state", *_VERDICT_COLUMNS]
    values = ["r.id", "r.tenant_id", *(f"r.{c}" for c in _STATE_COLUMNS),
              "coalesce(r.analysis_state, 'pending')", *(f"r.{c}" for c in _VERDICT_COLUMNS)]
    return (f"insert into leads ({', '.join(columns)}, created_at, updated_at)"
            f" select {', '.join(values)}, r.at, r.at"
            f" from jsonb_to_recordset($1::jsonb) as r({_RECORDSET})"
            f" on conflict (id) do update set {', '.join(sets)}, updated_at = excluded.updated_at"
            " where leads.version < excluded.version")


_UPSERTS = {True: _upsert(True), False: _upsert(False)}
_JOBS = """
insert into lead_analysis_jobs (lead_id, tenant_id, of_version, due_at)
select * from unnest($1::uuid[], $2::uuid[], $3::integer[], $4::timestamptz[])
on conflict (lead_id) do update set
    of_version = excluded.of_version, due_at = excluded.due_at, leased_until = null,
    attempts = 0, state = 'pending', last_error = null
"""


def _snapshot(event: Envelope, *, analyse: bool) -> dict[str, Any]:
    # As JSON values (ids and dates as text): jsonb_to_recordset casts them back.
    data = event.data
    row: dict[str, Any] = data.model_dump(mode="json", include=set(_STATE_FIELDS))
    at = event.occurred_at.isoformat()
    row.update(id=str(event.aggregate_id), tenant_id=str(event.tenant_id),
               version=event.version, at=at, analysis_state="pending" if analyse else None)
    if isinstance(data, LeadAnalyzed):
        row.update(analysis_state="analyzed", analysis_reason=data.reason,
                   analysis_model=data.model, analyzed_at=at)
    return row


class PgLeadTransaction:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def serialize_imports(self, tenant_id: uuid.UUID) -> None:
        await self._conn.execute(
            "select pg_advisory_xact_lock(hashtextextended('lead-import:' || $1::uuid::text, 0))",
            tenant_id)

    async def get(self, tenant_id: uuid.UUID, lead_id: uuid.UUID, *, lock: bool = False
                  ) -> LeadRecord | None:
        row = await self._conn.fetchrow(
            f"{SELECT} where tenant_id = $1 and id = $2{' for update' if lock else ''}",
            tenant_id, lead_id)
        return record_of(row) if row else None

    async def by_keys(self, tenant_id: uuid.UUID, emails: Sequence[str],
                      phones: Sequence[str]) -> list[LeadRecord]:
        rows = await self._conn.fetch(
            f"{SELECT} where tenant_id = $1 and (email = any($2::text[])"
            " or phone = any($3::text[])) order by id for update",
            tenant_id, list(emails), list(phones))
        return [record_of(r) for r in rows]

    async def page(self, tenant_id: uuid.UUID, where: LeadFilter, *, limit: int,
                   offset: int) -> tuple[list[LeadRecord], int]:
        query, count, args = page_query(tenant_id, where)
        rows = await self._conn.fetch(f"{query} limit {int(limit)} offset {int(offset)}",
                                      *args)
        total = await self._conn.fetchval(count, *args)
        return [record_of(r) for r in rows], int(total)

    async def needing_action(self, tenant_id: uuid.UUID, limit: int) -> list[LeadRecord]:
        rows = await self._conn.fetch(
            f"{SELECT} where tenant_id = $1 and needs_action"
            " order by (status is null) desc, (analysis_state = 'analyzed'),"
            " next_action_at nulls first, created_at desc, id limit $2",
            tenant_id, limit)
        return [record_of(r) for r in rows]

    async def record(self, events: Sequence[Envelope], *, analyse: bool) -> None:
        await event_store.append(self._conn, events)
        latest: dict[uuid.UUID, Envelope] = {}
        deleted: list[uuid.UUID] = []
        for event in events:
            if isinstance(event.data, LeadDeleted):
                deleted.append(event.aggregate_id)
                latest.pop(event.aggregate_id, None)
            elif isinstance(event.data, LeadState):
                latest[event.aggregate_id] = event
        snapshots = [_snapshot(e, analyse=analyse) for e in latest.values()]
        for with_analysis in (True, False):
            part = [s for s in snapshots if (s["analysis_state"] is not None) is with_analysis]
            if part:
                await self._conn.execute(_UPSERTS[with_analysis], orjson.dumps(part).decode())
        if latest and analyse:
            queued = list(latest.values())
            await self._conn.execute(
                _JOBS, [e.aggregate_id for e in queued], [e.tenant_id for e in queued],
                [e.version for e in queued], [e.occurred_at for e in queued])
        if deleted:
            await self._conn.execute("delete from leads where id = any($1::uuid[])", deleted)

    async def delete(self, lead_id: uuid.UUID) -> None:
        await self._conn.execute("delete from leads where id = $1", lead_id)

    async def job_done(self, lead_id: uuid.UUID, of_version: int) -> None:
        await self._conn.execute(
            "delete from lead_analysis_jobs where lead_id = $1 and of_version = $2",
            lead_id, of_version)


class PgLeadStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgLeadTransaction]:
        async with pg_transaction(self._pool) as conn:
            yield PgLeadTransaction(conn)
