"""SQL reads of the call log per UTC day, for the dashboard's charts and the cost
endpoint. Both read the analysts' views (``call_log``, ``cost``) and take the tenant
first; ``grouping sets`` answers each day and the whole window in one pass, so the
window's latency percentiles are true percentiles, not an average of the days'."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg

_DAILY = """
select (created_at at time zone 'UTC')::date as day,
       count(*)::bigint as calls,
       count(success)::bigint as known,
       count(*) filter (where success)::bigint as successes,
       count(*) filter (where sentiment = 'POSITIVE')::bigint as positive,
       count(*) filter (where sentiment = 'NEGATIVE')::bigint as negative,
       count(*) filter (where sentiment = 'NEUTRAL')::bigint as neutral,
       percentile_cont(0.5) within group (order by response_latency_p50_ms) as p50_ms,
       percentile_cont(0.95) within group (order by response_latency_p95_ms) as p95_ms,
       coalesce(sum(total_cost) filter (where cost_currency = $4), 0)::float8 as cost
from call_log
where tenant_id = $1 and ($2::uuid is null or client_id = $2)
  and created_at >= ($3::date)::timestamp at time zone 'UTC'
group by grouping sets ((day), ())
"""

_COST = """
select day, coalesce(sum(calls), 0)::bigint as calls,
       coalesce(sum(billed_minutes), 0)::bigint as billed_minutes,
       coalesce(sum(carrier_cost), 0)::float8 as carrier,
       coalesce(sum(model_cost), 0)::float8 as model,
       coalesce(sum(total_cost), 0)::float8 as total
from cost
where tenant_id = $1 and ($2::uuid is null or client_id = $2) and day >= $3
  and currency = $4
group by grouping sets ((day), ())
"""


async def daily(pool: asyncpg.Pool, *, tenant_id: uuid.UUID, client_id: uuid.UUID | None,
                since: date, currency: str) -> list[asyncpg.Record]:
    """One row per day with calls, and the window's row (``day`` null) last."""
    return list(await pool.fetch(_DAILY + " order by day nulls last",
                                 tenant_id, client_id, since, currency))


async def cost_per_day(pool: asyncpg.Pool, *, tenant_id: uuid.UUID,
                       client_id: uuid.UUID | None, since: date,
                       currency: str) -> list[asyncpg.Record]:
    """As :func:`daily`, from the ``cost`` view (the window's row holds zeros when
    nothing was priced)."""
    return list(await pool.fetch(_COST + " order by day nulls last",
                                 tenant_id, client_id, since, currency))
