"""SQL reads of the call log, for the API. They read the analysts' views (call_log,
calls_per_day, sentiment, client_stats), so the API and an analyst's query can never
disagree. Every query takes the tenant and filters by it."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg

LIST_COLUMNS = ("id, client_id, direction, caller_phone, caller_name, duration_seconds,"
                " sentiment, success, outcome, created_at")


async def list_calls(
    pool: asyncpg.Pool, *, tenant_id: uuid.UUID, limit: int, offset: int,
    client_id: uuid.UUID | None, since: datetime | None,
) -> tuple[int, list[asyncpg.Record]]:
    """The total matching and one page of them, newest first."""
    where = ("tenant_id = $1 and ($2::uuid is null or client_id = $2)"
             " and ($3::timestamptz is null or created_at >= $3)")
    total = await pool.fetchval(f"select count(*) from call_log where {where}",
                                tenant_id, client_id, since)
    rows = await pool.fetch(
        f"select {LIST_COLUMNS} from call_log where {where}"
        " order by created_at desc, id limit $4 offset $5",
        tenant_id, client_id, since, limit, offset)
    return int(total), list(rows)


async def get_call(pool: asyncpg.Pool, *, tenant_id: uuid.UUID,
                   call_id: uuid.UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        "select l.*, c.transcript_lines, c.analysis_model from call_log l"
        " join calls c on c.id = l.id where l.tenant_id = $1 and l.id = $2",
        tenant_id, call_id)
    return row


async def totals(pool: asyncpg.Pool, *, tenant_id: uuid.UUID) -> asyncpg.Record:
    row: asyncpg.Record | None = await pool.fetchrow(
        "select count(*) as calls, coalesce(sum(duration_seconds), 0)::float8 as duration,"
        " count(*) filter (where success) as successes, count(success) as known,"
        " (select count(*) from clients where tenant_id = $1 and not deleted) as clients"
        " from call_log where tenant_id = $1", tenant_id)
    assert row is not None  # an aggregate without group by always answers one row
    return row


async def sentiment_counts(pool: asyncpg.Pool, *, tenant_id: uuid.UUID) -> dict[str, int]:
    rows = await pool.fetch("select sentiment, calls from sentiment where tenant_id = $1",
                            tenant_id)
    return {r["sentiment"]: int(r["calls"]) for r in rows}


async def calls_per_day(pool: asyncpg.Pool, *, tenant_id: uuid.UUID,
                        since: date) -> list[tuple[date, int]]:
    rows = await pool.fetch(
        "select day, calls from calls_per_day where tenant_id = $1 and day >= $2"
        " order by day desc", tenant_id, since)
    return [(r["day"], int(r["calls"])) for r in rows]


async def client_stats(pool: asyncpg.Pool, *, tenant_id: uuid.UUID,
                       client_id: uuid.UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        "select * from client_stats where tenant_id = $1 and client_id = $2",
        tenant_id, client_id)
    return row
