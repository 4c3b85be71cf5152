"""SQL for call jobs, their durable timers and attempts (asyncpg, service schema)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import orjson
from ringbook.clock import Clock
from ringbook.events import EventData, new_event
from ringbook.store import event_store
from ringbook.store.database import Conn

from call_orchestrator.domain.attempts import AttemptState


@dataclass(frozen=True)
class Job:
    request_id: uuid.UUID
    tenant_id: uuid.UUID
    number_to_call: str
    timezone: str
    request: dict[str, object]
    state: str
    version: int
    aggregate: str = "call_job"


@dataclass(frozen=True)
class Attempt:
    id: uuid.UUID
    request_id: uuid.UUID
    attempt: int
    state: AttemptState
    call_sid: str | None
    result: str | None = None  # what the answered call came to (migration 0003)


def _job(row: asyncpg.Record) -> Job:
    return Job(
        request_id=row["request_id"],
        tenant_id=row["tenant_id"],
        number_to_call=row["number_to_call"],
        timezone=row["timezone"],
        request=orjson.loads(row["request"]),
        state=row["state"],
        version=row["version"],
        aggregate=row["aggregate"],
    )


def _attempt(row: asyncpg.Record) -> Attempt:
    return Attempt(row["id"], row["request_id"], row["attempt"],
                   AttemptState(row["state"]), row["call_sid"], row["result"])


async def create_job(conn: Conn, job: Job) -> bool:
    """Insert the job; False if it already existed."""
    created = await conn.fetchval(
        "insert into call_jobs (request_id, tenant_id, number_to_call, timezone, request, state,"
        " aggregate) values ($1, $2, $3, $4, $5::jsonb, $6, $7)"
        " on conflict do nothing returning true",
        job.request_id, job.tenant_id, job.number_to_call, job.timezone,
        orjson.dumps(job.request).decode(), job.state, job.aggregate,
    )
    return bool(created)


async def serialize_request(conn: Conn, request_id: uuid.UUID) -> None:
    """Serialize this transaction with any other on the same request, whether or not
    its job exists yet (a row lock needs the row): a transaction-scoped advisory lock."""
    await conn.execute("select pg_advisory_xact_lock(hashtextextended($1::text, 0))",
                       f"call_job:{request_id}")


async def record_early_cancel(conn: Conn, request_id: uuid.UUID, tenant_id: uuid.UUID,
                              event_id: uuid.UUID, now: datetime) -> None:
    await conn.execute(
        "insert into canceled_requests (request_id, tenant_id, event_id, canceled_at)"
        " values ($1, $2, $3, $4) on conflict do nothing",
        request_id, tenant_id, event_id, now,
    )


async def canceled_early(conn: Conn, request_id: uuid.UUID, tenant_id: uuid.UUID) -> bool:
    found = await conn.fetchval(
        "select true from canceled_requests where request_id = $1 and tenant_id = $2",
        request_id, tenant_id,
    )
    return bool(found)


async def lock_job(conn: Conn, request_id: uuid.UUID) -> Job | None:
    """Lock the job row: every change to one request's calls is serialized on it."""
    row = await conn.fetchrow("select * from call_jobs where request_id = $1 for update",
                              request_id)
    return _job(row) if row else None


async def set_job_state(conn: Conn, request_id: uuid.UUID, state: str) -> None:
    await conn.execute(
        "update call_jobs set state = $2, updated_at = now() where request_id = $1",
        request_id, state,
    )


async def emit(
    conn: Conn, job: Job, clock: Clock, *events: EventData,
    causation_id: uuid.UUID | None = None,
) -> Job:
    """Append events to the job's call_job aggregate; returns the job at its new version.

    The caller holds the job's row lock, so ``version + 1`` cannot race with another
    writer in this service; the event store's unique (aggregate_id, version) is the
    backstop should that ever change.
    """
    version = job.version
    envelopes = []
    for data in events:
        version += 1
        envelopes.append(new_event(
            data, aggregate_id=job.request_id, version=version, tenant_id=job.tenant_id,
            correlation_id=job.request_id, causation_id=causation_id, clock=clock,
            aggregate=job.aggregate,
        ))
    await event_store.append(conn, envelopes)
    await conn.execute(
        "update call_jobs set version = $2, updated_at = now() where request_id = $1",
        job.request_id, version,
    )
    return Job(**{**job.__dict__, "version": version})


async def set_timer(conn: Conn, request_id: uuid.UUID, attempt: int,
                    due_at: datetime) -> None:
    await conn.execute(
        "insert into call_timers (request_id, attempt, due_at) values ($1, $2, $3)"
        " on conflict (request_id) do update set attempt = excluded.attempt,"
        " due_at = excluded.due_at",
        request_id, attempt, due_at,
    )


async def drop_timer(conn: Conn, request_id: uuid.UUID) -> None:
    await conn.execute("delete from call_timers where request_id = $1", request_id)


async def due_timer_requests(conn: Conn, now: datetime, limit: int) -> list[uuid.UUID]:
    """Requests whose timer is due, earliest first. Nothing is locked here: the caller
    locks each job and only then takes its timer (``take_due_timer``)."""
    rows = await conn.fetch(
        "select request_id from call_timers where due_at <= $1 order by due_at limit $2",
        now, limit,
    )
    return [r["request_id"] for r in rows]


async def lock_job_unless_busy(conn: Conn, request_id: uuid.UUID) -> Job | None:
    """Lock the job row, or None at once if another transaction holds it (SKIP LOCKED:
    replicas never claim the same job, and the dialer never waits behind a handler)."""
    row = await conn.fetchrow(
        "select * from call_jobs where request_id = $1 for update skip locked", request_id)
    return _job(row) if row else None


async def take_due_timer(conn: Conn, request_id: uuid.UUID, now: datetime) -> int | None:
    """Delete the request's timer if it is (still) due; its attempt number, else None.
    Called with the job locked, so no one else changes the timer meanwhile."""
    attempt: int | None = await conn.fetchval(
        "delete from call_timers where request_id = $1 and due_at <= $2 returning attempt",
        request_id, now,
    )
    return attempt


async def next_due(conn: Conn) -> datetime | None:
    due: datetime | None = await conn.fetchval("select min(due_at) from call_timers")
    return due


async def insert_attempt(conn: Conn, request_id: uuid.UUID, attempt: int,
                         now: datetime) -> Attempt | None:
    """Commit an attempt before dialing; None if this attempt number already exists."""
    row = await conn.fetchrow(
        "insert into call_attempts (id, request_id, attempt, state, created_at, updated_at)"
        " values ($1, $2, $3, 'dialing', $4, $4) on conflict do nothing returning *",
        uuid.uuid4(), request_id, attempt, now,
    )
    return _attempt(row) if row else None


async def attempt_request(conn: Conn, attempt_id: uuid.UUID) -> uuid.UUID | None:
    request_id: uuid.UUID | None = await conn.fetchval(
        "select request_id from call_attempts where id = $1", attempt_id)
    return request_id


async def find_attempt_by_sid(conn: Conn, call_sid: str) -> uuid.UUID | None:
    """The attempt that carries ``call_sid`` (an inbound call's callbacks name only it)."""
    attempt_id: uuid.UUID | None = await conn.fetchval(
        "select id from call_attempts where call_sid = $1", call_sid)
    return attempt_id


async def lock_attempt(conn: Conn, attempt_id: uuid.UUID) -> Attempt | None:
    row = await conn.fetchrow("select * from call_attempts where id = $1 for update", attempt_id)
    return _attempt(row) if row else None


async def live_attempt(conn: Conn, request_id: uuid.UUID) -> Attempt | None:
    row = await conn.fetchrow(
        "select * from call_attempts where request_id = $1"
        " and state in ('dialing', 'placed', 'connected') order by attempt desc limit 1",
        request_id,
    )
    return _attempt(row) if row else None


async def update_attempt(conn: Conn, attempt_id: uuid.UUID, state: AttemptState,
                         now: datetime, call_sid: str | None = None) -> None:
    await conn.execute(
        "update call_attempts set state = $2, updated_at = $3,"
        " call_sid = coalesce($4, call_sid) where id = $1",
        attempt_id, state.value, now, call_sid,
    )


async def stale_dialing_attempts(conn: Conn, before: datetime
                                 ) -> list[tuple[uuid.UUID, uuid.UUID]]:
    rows = await conn.fetch(
        "select id, request_id from call_attempts where state = 'dialing' and updated_at < $1",
        before,
    )
    return [(r["id"], r["request_id"]) for r in rows]


# --- results of answered calls (migration 0003) ----------------------------------------------


async def lock_attempt_number(conn: Conn, request_id: uuid.UUID, attempt: int) -> Attempt | None:
    row = await conn.fetchrow(
        "select * from call_attempts where request_id = $1 and attempt = $2 for update",
        request_id, attempt,
    )
    return _attempt(row) if row else None


async def set_result(conn: Conn, attempt_id: uuid.UUID, result: str, now: datetime) -> None:
    await conn.execute(
        "update call_attempts set result = $2, result_due_at = null, updated_at = $3"
        " where id = $1",
        attempt_id, result, now,
    )


async def expect_result(conn: Conn, attempt_id: uuid.UUID, *, due_at: datetime,
                        duration_seconds: float) -> None:
    """An answered call has ended: its conversation's result is due by ``due_at``."""
    await conn.execute(
        "update call_attempts set result_due_at = $2, duration_seconds = $3"
        " where id = $1 and result is null",
        attempt_id, due_at, duration_seconds,
    )


async def overdue_results(conn: Conn, now: datetime, limit: int
                          ) -> list[tuple[uuid.UUID, uuid.UUID, float]]:
    """(attempt id, request id, duration) of ended calls whose result is overdue."""
    rows = await conn.fetch(
        "select id, request_id, coalesce(duration_seconds, 0) as duration from call_attempts"
        " where result is null and result_due_at <= $1 order by result_due_at limit $2",
        now, limit,
    )
    return [(r["id"], r["request_id"], r["duration"]) for r in rows]
