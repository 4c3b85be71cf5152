"""Call jobs and their durable timers in Postgres (the service's schema).

Both work on a connection already inside a transaction (the unit of work's, or the pull
worker's, whose transaction also holds the inbox claim), so whatever a use case writes
through them commits with everything else it did.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg
import orjson
from ringbook.events import Envelope
from ringbook.store import event_store
from ringbook.store.database import Conn

from call_orchestrator.domain.jobs import Job, JobState


def _job(row: asyncpg.Record) -> Job:
    return Job(
        request_id=row["request_id"],
        tenant_id=row["tenant_id"],
        number_to_call=row["number_to_call"],
        timezone=row["timezone"],
        request=orjson.loads(row["request"]),
        state=JobState(row["state"]),
        version=row["version"],
        aggregate=row["aggregate"],
    )


class PgCallJobs:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def serialize_request(self, request_id: uuid.UUID) -> None:
        # A transaction-scoped advisory lock, keyed by the request: released at commit.
        await self._conn.execute("select pg_advisory_xact_lock(hashtextextended($1::text, 0))",
                                 f"call_job:{request_id}")

    async def add(self, job: Job) -> bool:
        created = await self._conn.fetchval(
            "insert into call_jobs (request_id, tenant_id, number_to_call, timezone, request,"
            " state, aggregate) values ($1, $2, $3, $4, $5::jsonb, $6, $7)"
            " on conflict do nothing returning true",
            job.request_id, job.tenant_id, job.number_to_call, job.timezone,
            orjson.dumps(job.request).decode(), job.state.value, job.aggregate,
        )
        return bool(created)

    async def lock(self, request_id: uuid.UUID) -> Job | None:
        row = await self._conn.fetchrow(
            "select * from call_jobs where request_id = $1 for update", request_id)
        return _job(row) if row else None

    async def try_lock(self, request_id: uuid.UUID) -> Job | None:
        row = await self._conn.fetchrow(
            "select * from call_jobs where request_id = $1 for update skip locked", request_id)
        return _job(row) if row else None

    async def set_state(self, request_id: uuid.UUID, state: JobState) -> None:
        await self._conn.execute(
            "update call_jobs set state = $2, updated_at = now() where request_id = $1",
            request_id, state.value,
        )

    async def append(self, job: Job, events: Sequence[Envelope]) -> Job:
        # The caller holds the job's row lock, so the versions it numbered cannot race
        # with another writer in this service; the event store's unique (aggregate_id,
        # version) is the backstop should that ever change.
        if not events:
            return job
        await event_store.append(self._conn, events)
        version = events[-1].version
        await self._conn.execute(
            "update call_jobs set version = $2, updated_at = now() where request_id = $1",
            job.request_id, version,
        )
        return job.at_version(version)

    async def record_early_cancel(self, request_id: uuid.UUID, tenant_id: uuid.UUID,
                                  event_id: uuid.UUID, at: datetime) -> None:
        await self._conn.execute(
            "insert into canceled_requests (request_id, tenant_id, event_id, canceled_at)"
            " values ($1, $2, $3, $4) on conflict do nothing",
            request_id, tenant_id, event_id, at,
        )

    async def canceled_early(self, request_id: uuid.UUID, tenant_id: uuid.UUID) -> bool:
        found = await self._conn.fetchval(
            "select true from canceled_requests where request_id = $1 and tenant_id = $2",
            request_id, tenant_id,
        )
        return bool(found)


class PgCallTimers:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def set(self, request_id: uuid.UUID, attempt: int, due_at: datetime) -> None:
        await self._conn.execute(
            "insert into call_timers (request_id, attempt, due_at) values ($1, $2, $3)"
            " on conflict (request_id) do update set attempt = excluded.attempt,"
            " due_at = excluded.due_at",
            request_id, attempt, due_at,
        )

    async def drop(self, request_id: uuid.UUID) -> None:
        await self._conn.execute("delete from call_timers where request_id = $1", request_id)

    async def take_due(self, request_id: uuid.UUID, now: datetime) -> int | None:
        # Called with the job locked (job before timer, as everywhere).
        attempt: int | None = await self._conn.fetchval(
            "delete from call_timers where request_id = $1 and due_at <= $2 returning attempt",
            request_id, now,
        )
        return attempt

    async def next_due_after(self, now: datetime) -> datetime | None:
        due: datetime | None = await self._conn.fetchval(
            "select min(due_at) from call_timers where due_at > $1", now)
        return due
