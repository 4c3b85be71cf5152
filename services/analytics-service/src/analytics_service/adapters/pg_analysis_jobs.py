"""The analysis jobs in Postgres: recorded on the pull worker's connection, claimed by
the analysis lanes with ``for update skip locked``.

A claim is a transaction that stays open while the LLM answers: the row lock is what
keeps a second replica's lane off the job (it skips locked rows), and whatever the lane
decides (the event and ``done``, or the next attempt) commits with the claim. A lane
that dies mid-call rolls back, and the job is due again at once for any replica. The
cost is one pooled connection per busy lane, which ``ANALYSIS_LANES`` bounds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from ringbook.events import Envelope
from ringbook.logging import get_logger
from ringbook.store import event_store
from ringbook.store.database import Conn

from analytics_service.application.analysis_ports import AnalysisJob
from analytics_service.domain.call_analysis import ExtractionField

log = get_logger(__name__)

_MAX_ERROR_CHARS = 1000
# The extraction fields of the assistant that answered the call, as the call log knows
# it when the call ends (its line's assistant, projected from call_started and CATALOG;
# an assistant without fields, or a call no assistant answered: the job's own, none).
_FIELDS_OF_CALL = (
    "(select a.analysis_fields from calls c join assistants a"
    " on a.id = c.assistant_id and a.tenant_id = c.tenant_id"
    " where c.id = $1 and c.tenant_id = $2 and not a.deleted"
    " and jsonb_array_length(a.analysis_fields) > 0)")


class PgJobRecorder:
    """``JobRecorder`` on the pull worker's connection (inside its transaction)."""

    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def record(self, job: AnalysisJob, due_at: datetime) -> bool:
        inserted = await self._conn.fetchval(
            "insert into analysis_jobs (call_id, tenant_id, source_event_id, correlation_id,"
            " transcript, hints, fields, due_at)"
            " values ($1, $2, $3, $4, $5, $6::jsonb, coalesce(" + _FIELDS_OF_CALL + ","
            " $7::jsonb), $8)"
            " on conflict (call_id) do nothing returning true",
            job.call_id, job.tenant_id, job.source_event_id, job.correlation_id,
            job.transcript, orjson.dumps(list(job.hints)).decode(),
            orjson.dumps([f.__dict__ for f in job.fields]).decode(), due_at,
        )
        return bool(inserted)


def _job(row: asyncpg.Record) -> AnalysisJob:
    fields: list[dict[str, Any]] = orjson.loads(row["fields"])
    return AnalysisJob(
        call_id=row["call_id"], tenant_id=row["tenant_id"],
        source_event_id=row["source_event_id"], correlation_id=row["correlation_id"],
        transcript=row["transcript"], hints=tuple(orjson.loads(row["hints"])),
        fields=tuple(ExtractionField(**f) for f in fields), attempts=row["attempts"],
    )


class PgClaimedJob:
    def __init__(self, conn: Conn, job: AnalysisJob) -> None:
        self._conn, self.job = conn, job

    async def complete(self, event: Envelope) -> None:
        try:
            # A savepoint: a conflict must leave the claim's transaction usable.
            async with self._conn.transaction():
                await event_store.append(self._conn, [event])
        except event_store.ConcurrencyConflict:
            # The call's analysis is already stored (the job lost its 'done' some other
            # way): the job is done, or its lane would ask the LLM again at every poll.
            log.warning("call_analysis_already_stored", call_id=str(self.job.call_id))
        await self._conn.execute(
            "update analysis_jobs set status = 'done', attempts = attempts + 1,"
            " last_error = null, updated_at = now() where call_id = $1", self.job.call_id)

    async def retry(self, at: datetime, error: str) -> None:
        await self._conn.execute(
            "update analysis_jobs set attempts = attempts + 1, due_at = $2, last_error = $3,"
            " updated_at = now() where call_id = $1",
            self.job.call_id, at, error[:_MAX_ERROR_CHARS])

    async def fail(self, error: str) -> None:
        await self._conn.execute(
            "update analysis_jobs set status = 'failed', attempts = attempts + 1,"
            " last_error = $2, updated_at = now() where call_id = $1",
            self.job.call_id, error[:_MAX_ERROR_CHARS])


class PgJobQueue:
    """``JobQueue`` over the service's pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @asynccontextmanager
    async def claim_due(self, now: datetime) -> AsyncIterator[PgClaimedJob | None]:
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "select call_id, tenant_id, source_event_id, correlation_id, transcript,"
                " hints, fields, attempts from analysis_jobs"
                " where status = 'pending' and due_at <= $1"
                " order by due_at limit 1 for update skip locked",
                now,
            )
            yield None if row is None else PgClaimedJob(conn, _job(row))

