"""The dialer driven tick by tick under the FakeClock, against real Postgres, with the
carrier faked at the Telephony port (it records when each call was placed, on the fake
clock, and answers fetches with what a test tells it)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import orjson
from call_orchestrator.adapters.unit_of_work import PgUnitOfWork
from call_orchestrator.application.carrier_reconcile import CarrierChecks
from call_orchestrator.application.carrier_status import apply_carrier_status
from call_orchestrator.application.context import Orchestration
from call_orchestrator.application.dialer import Dialer, TickResult
from call_orchestrator.application.telephony import CallNotFound, CarrierCall, PlaceCall
from call_orchestrator.domain.dial_pacing import DialLimits
from call_orchestrator.domain.jobs import Job, JobState
from call_orchestrator.domain.retry_policy import RetryPolicy
from call_orchestrator.entrypoints.app import MIGRATIONS
from ringbook.clock import FakeClock
from ringbook.store.database import create_pool
from ringbook.store.migrations import migrate
from ringbook.weekly_hours import WeeklyHours
from ringbook_devtools.testing.waiting import eventually

BERLIN = "Europe/Berlin"


@dataclass(frozen=True)
class Placed:
    at: datetime
    request_id: uuid.UUID
    tenant_id: uuid.UUID
    sid: str


@dataclass
class RecordingCarrier:
    """The Telephony port's outside edge: no network, every call recorded."""

    clock: FakeClock
    pool: asyncpg.Pool
    placed: list[Placed] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)  # what fetch_call answers
    fetched: list[str] = field(default_factory=list)

    async def place_call(self, call: PlaceCall) -> str:
        sid = "CA" + uuid.uuid4().hex
        # The call names its attempt only in the answer URL (as Twilio is given it); the
        # attempt row was committed before the dial was sent.
        [attempt_id] = parse_qs(urlsplit(call.answer_url).query)["attempt_id"]
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                "select a.request_id, j.tenant_id from call_attempts a join call_jobs j"
                " using (request_id) where a.id = $1", uuid.UUID(attempt_id))
        assert row is not None, f"placed a call for no attempt: {call.answer_url}"
        self.placed.append(Placed(self.clock.now(), row["request_id"], row["tenant_id"], sid))
        return sid

    async def hang_up(self, call_sid: str) -> None:
        self.status[call_sid] = "completed"

    async def fetch_call(self, call_sid: str) -> CarrierCall:
        self.fetched.append(call_sid)
        if call_sid not in self.status:
            raise CallNotFound(f"no call {call_sid}", carrier_code=20404)
        return CarrierCall(call_sid, self.status[call_sid], 0.0)


@dataclass
class Bench:
    pool: asyncpg.Pool
    clock: FakeClock
    carrier: RecordingCarrier
    ctx: Orchestration
    dsn: str
    schema: str

    def dialer(self, limits: DialLimits, *, pool: asyncpg.Pool | None = None,
               checks: CarrierChecks | None = None, batch: int = 20) -> Dialer:
        return Dialer(uow=PgUnitOfWork(pool or self.pool), ctx=self.ctx,
                      limits=limits, checks=checks, batch=batch)

    async def tick(self, dialer: Dialer) -> TickResult:
        """One tick, then wait until every call it claimed has been placed and recorded."""
        before = len(self.carrier.placed)
        result = await dialer.tick()
        await eventually(lambda: len(self.carrier.placed) == before + result.dialed
                         and not dialer.dials_in_flight)
        return result

    async def add_job(self, tenant: uuid.UUID, due_at: datetime, *, number: str = "+49305550100"
                      ) -> uuid.UUID:
        request_id = uuid.uuid4()
        async with PgUnitOfWork(self.pool).transaction() as tx:
            await tx.jobs.add(Job(request_id, tenant, number, BERLIN, {}, JobState.ACTIVE, 0))
            await tx.timers.set(request_id, 1, due_at)
        return request_id

    async def callback(self, placed: Placed, status: str) -> None:
        """The carrier's status callback, applied as the webhook applies it."""
        async with self.pool.acquire() as conn:
            attempt_id = await conn.fetchval(
                "select id from call_attempts where request_id = $1 order by attempt desc"
                " limit 1", placed.request_id)
        await apply_carrier_status(PgUnitOfWork(self.pool), self.ctx, attempt_id=attempt_id,
                                   call_sid=placed.sid, call_status=status, duration_seconds=3)

    async def live_by_tenant(self) -> dict[uuid.UUID, int]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "select j.tenant_id, count(*) as n from call_attempts a join call_jobs j"
                " using (request_id) where a.state in ('dialing', 'placed', 'connected')"
                " group by j.tenant_id")
        return {r["tenant_id"]: r["n"] for r in rows}

    async def attempt_states(self, request_id: uuid.UUID) -> list[str]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch("select state from call_attempts where request_id = $1"
                                    " order by attempt", request_id)
        return [r["state"] for r in rows]

    async def timer(self, request_id: uuid.UUID) -> tuple[int, datetime] | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                "select attempt, due_at from call_timers where request_id = $1", request_id)
        return (row["attempt"], row["due_at"]) if row else None

    async def events(self, request_id: uuid.UUID) -> list[tuple[str, dict[str, Any]]]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch("select type, data from events where aggregate_id = $1"
                                    " order by version", request_id)
        return [(r["type"], orjson.loads(r["data"])) for r in rows]


@asynccontextmanager
async def dialer_bench(dsn: str, schema: str, start: datetime,
                       *, max_attempts: int = 1) -> AsyncIterator[Bench]:
    await migrate(dsn, schema, MIGRATIONS)
    pool = await create_pool(dsn, schema=schema, min_size=1, max_size=5)
    clock = FakeClock(start)
    carrier = RecordingCarrier(clock, pool)
    ctx = Orchestration(
        clock=clock, telephony=carrier, hours=WeeklyHours.parse("mon-fri 08:00-18:00"),
        retry_policy=RetryPolicy(max_attempts=max_attempts, delay=timedelta(minutes=10)),
        fallback_timezone=BERLIN, from_number="+49305550000",
        public_base_url="http://127.0.0.1:9", media_stream_url="ws://127.0.0.1:9/media-stream",
        reconcile_seconds=120,
    )
    try:
        yield Bench(pool, clock, carrier, ctx, dsn, schema)
    finally:
        await pool.close()
