"""SQL for call jobs, their durable timers and attempts (asyncpg, service schema)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import orjson
from ringbook.clock import Clock
from ringbook.events import EventData, new_event
from ringbook.store import event_store
from ringbook.store.database import Conn

from call_orchestrator.domain.attempts import AttemptState
from call_orchestrator.domain.dial_pacing import Bucket, DialRate, DueCall


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


# --- fair, paced claims of due timers and carrier checks (migration 0005) --------------------


async def lock_dial_bucket(conn: Conn, rate: DialRate, now: datetime) -> Bucket:
    """The shared calls-per-second bucket, locked until the caller's transaction ends:
    replicas claiming at once take turns here, so they spend from one budget."""
    full = rate.full(now)
    await conn.execute(
        "insert into dial_pacing (tokens, refilled_at) values ($1, $2) on conflict do nothing",
        full.tokens, full.at,
    )
    row = await conn.fetchrow("select tokens, refilled_at from dial_pacing for update")
    assert row is not None  # inserted just above if it was missing
    return Bucket(row["tokens"], row["refilled_at"])


async def save_dial_bucket(conn: Conn, bucket: Bucket) -> None:
    await conn.execute("update dial_pacing set tokens = $1, refilled_at = $2",
                       bucket.tokens, bucket.at)


async def due_calls_by_tenant(conn: Conn, now: datetime, per_tenant: int) -> list[DueCall]:
    """Each tenant's ``per_tenant`` earliest due timers (a window partitioned by tenant),
    so one tenant's backlog never crowds the others out of what is read."""
    rows = await conn.fetch(
        "select request_id, tenant_id, attempt, due_at from ("
        "  select t.request_id, j.tenant_id, t.attempt, t.due_at, row_number() over ("
        "    partition by j.tenant_id order by t.due_at, t.request_id) as place"
        "  from call_timers t join call_jobs j using (request_id) where t.due_at <= $1"
        ") due where place <= $2",
        now, per_tenant,
    )
    return [DueCall(r["request_id"], r["tenant_id"], r["attempt"], r["due_at"]) for r in rows]


async def live_calls_by_tenant(conn: Conn, tenants: Collection[uuid.UUID]
                               ) -> dict[uuid.UUID, int]:
    """Outbound attempts dialing, ringing or answered, per tenant."""
    rows = await conn.fetch(
        "select j.tenant_id, count(*) as live from call_attempts a"
        " join call_jobs j using (request_id)"
        " where a.state in ('dialing', 'placed', 'connected') and j.aggregate = 'call_job'"
        " and j.tenant_id = any($1::uuid[]) group by j.tenant_id",
        list(tenants),
    )
    return {r["tenant_id"]: r["live"] for r in rows}


async def last_turns(conn: Conn, tenants: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = await conn.fetch(
        "select tenant_id, last_turn from dial_turns where tenant_id = any($1::uuid[])",
        list(tenants),
    )
    return {r["tenant_id"]: r["last_turn"] for r in rows}


async def take_turn(conn: Conn, tenant_id: uuid.UUID) -> None:
    await conn.execute(
        "insert into dial_turns (tenant_id, last_turn) values ($1, nextval('dial_turn'))"
        " on conflict (tenant_id) do update set last_turn = excluded.last_turn",
        tenant_id,
    )


async def try_lock_job(conn: Conn, request_id: uuid.UUID) -> Job | None:
    """Like ``lock_job``, but None at once when another transaction holds the job (a
    replica claiming it, a cancel, a callback): the dialer comes back to it later."""
    row = await conn.fetchrow(
        "select * from call_jobs where request_id = $1 for update skip locked", request_id)
    return _job(row) if row else None


async def take_due_timer(conn: Conn, request_id: uuid.UUID, now: datetime) -> int | None:
    """Delete the request's timer if it is due; its attempt number, or None. Called with
    the job locked (job before timer, as everywhere)."""
    attempt: int | None = await conn.fetchval(
        "delete from call_timers where request_id = $1 and due_at <= $2 returning attempt",
        request_id, now,
    )
    return attempt


async def next_due_after(conn: Conn, now: datetime) -> datetime | None:
    """The next timer still to fall due (the ones already due wait on the limits)."""
    due: datetime | None = await conn.fetchval(
        "select min(due_at) from call_timers where due_at > $1", now)
    return due


async def claim_carrier_checks(conn: Conn, now: datetime, *, placed_before: datetime,
                               connected_before: datetime, limit: int) -> list[Attempt]:
    """Live attempts with a sid and no news since the deadline of their state; marked as
    checked now, so neither this replica's next sweep nor another replica asks again
    before one more deadline has passed."""
    rows = await conn.fetch(
        "update call_attempts set carrier_checked_at = $1 where id in ("
        "  select id from call_attempts where call_sid is not null and ("
        "    (state = 'placed' and greatest(updated_at, carrier_checked_at) <= $2)"
        "    or (state = 'connected' and greatest(updated_at, carrier_checked_at) <= $3))"
        "  order by updated_at limit $4 for update skip locked)"
        " returning *",
        now, placed_before, connected_before, limit,
    )
    return [_attempt(r) for r in rows]
