"""The dialer's shared pacing in Postgres: the calls-per-second bucket (one row) and
each tenant's last turn (migration 0005), with the due timers and live calls the fair
order is computed from (``domain.dial_pacing``)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from ringbook.store.database import Conn

from call_orchestrator.domain.dial_pacing import Bucket, DialRate, DueCall


class PgDialPacing:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def lock_bucket(self, rate: DialRate, now: datetime) -> Bucket:
        # Locked until the caller's transaction ends: replicas claiming at once take
        # turns here, so they spend from one budget.
        full = rate.full(now)
        await self._conn.execute(
            "insert into dial_pacing (tokens, refilled_at) values ($1, $2)"
            " on conflict do nothing",
            full.tokens, full.at,
        )
        row = await self._conn.fetchrow("select tokens, refilled_at from dial_pacing for update")
        assert row is not None  # inserted just above if it was missing
        return Bucket(row["tokens"], row["refilled_at"])

    async def save_bucket(self, bucket: Bucket) -> None:
        await self._conn.execute("update dial_pacing set tokens = $1, refilled_at = $2",
                                 bucket.tokens, bucket.at)

    async def due_by_tenant(self, now: datetime, per_tenant: int) -> list[DueCall]:
        # A window partitioned by tenant, so one tenant's backlog never crowds the
        # others out of what is read.
        rows = await self._conn.fetch(
            "select request_id, tenant_id, attempt, due_at from ("
            "  select t.request_id, j.tenant_id, t.attempt, t.due_at, row_number() over ("
            "    partition by j.tenant_id order by t.due_at, t.request_id) as place"
            "  from call_timers t join call_jobs j using (request_id) where t.due_at <= $1"
            ") due where place <= $2",
            now, per_tenant,
        )
        return [DueCall(r["request_id"], r["tenant_id"], r["attempt"], r["due_at"])
                for r in rows]

    async def live_by_tenant(self, tenants: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
        rows = await self._conn.fetch(
            "select j.tenant_id, count(*) as live from call_attempts a"
            " join call_jobs j using (request_id)"
            " where a.state in ('dialing', 'placed', 'connected') and j.aggregate = 'call_job'"
            " and j.tenant_id = any($1::uuid[]) group by j.tenant_id",
            list(tenants),
        )
        return {r["tenant_id"]: r["live"] for r in rows}

    async def last_turns(self, tenants: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
        rows = await self._conn.fetch(
            "select tenant_id, last_turn from dial_turns where tenant_id = any($1::uuid[])",
            list(tenants),
        )
        return {r["tenant_id"]: r["last_turn"] for r in rows}

    async def take_turn(self, tenant_id: uuid.UUID) -> None:
        await self._conn.execute(
            "insert into dial_turns (tenant_id, last_turn) values ($1, nextval('dial_turn'))"
            " on conflict (tenant_id) do update set last_turn = excluded.last_turn",
            tenant_id,
        )
