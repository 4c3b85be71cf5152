"""call-orchestrator's use cases driven directly against real Postgres: a migrated fresh
schema, its pool, and the request events the orchestrator consumes, handled in a
transaction as its pull worker would (inbox claim included). For tests that drive the
dialer or a handler step by step instead of running the whole service."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg
from call_orchestrator.adapters.unit_of_work import PgTransaction
from call_orchestrator.application.context import Orchestration
from call_orchestrator.application.request_events import on_request_event
from call_orchestrator.application.telephony import (
    CarrierCall,
    PlaceCall,
    Telephony,
    TelephonyUnavailable,
)
from call_orchestrator.domain.retry_policy import RetryPolicy
from call_orchestrator.entrypoints.app import MIGRATIONS
from call_orchestrator.entrypoints.consumers import REQUESTS_CONSUMER
from ringbook.clock import FakeClock
from ringbook.contracts.requests import RequestCanceled, RequestReceived, UserProfile
from ringbook.events import Envelope, EventData, new_event
from ringbook.store import inbox
from ringbook.store.database import create_pool
from ringbook.store.migrations import migrate
from ringbook.weekly_hours import WeeklyHours
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.waiting import eventually


@dataclass
class UnconfirmedCarrier:
    """A carrier that never confirms a dial (the outcome stays unknown, so the attempt
    waits for a callback): records what was dialled and does nothing else."""

    dialled: list[PlaceCall] = field(default_factory=list)

    async def place_call(self, call: PlaceCall) -> str:
        self.dialled.append(call)
        raise TelephonyUnavailable("no answer from the carrier", request_may_have_been_sent=True)

    async def hang_up(self, call_sid: str) -> None:
        raise TelephonyUnavailable("no answer from the carrier")

    async def fetch_call(self, call_sid: str) -> CarrierCall:
        raise TelephonyUnavailable("no answer from the carrier")


def orchestration(clock: FakeClock, telephony: Telephony) -> Orchestration:
    return Orchestration(
        clock=clock, telephony=telephony, hours=WeeklyHours.parse("always"),
        retry_policy=RetryPolicy(max_attempts=3, delay=timedelta(minutes=10)),
        fallback_timezone="Europe/Berlin", from_number="+49305550000",
        public_base_url="http://127.0.0.1:9", media_stream_url="ws://127.0.0.1:9/media-stream",
        reconcile_seconds=120,
    )


@asynccontextmanager
async def migrated_pool(infra: ServerSet, schema: str, size: int = 5
                        ) -> AsyncIterator[asyncpg.Pool]:
    await migrate(infra.database_url, schema, MIGRATIONS)
    pool = await create_pool(infra.database_url, schema=schema, min_size=1, max_size=size)
    try:
        yield pool
    finally:
        await pool.close()


@dataclass
class Requests:
    """Request events for one tenant, handled as the requests consumer handles them."""

    pool: asyncpg.Pool
    ctx: Orchestration
    clock: FakeClock
    tenant: uuid.UUID = field(default_factory=uuid.uuid4)

    def event(self, request_id: uuid.UUID, version: int, data: EventData) -> Envelope:
        return new_event(data, aggregate_id=request_id, version=version, tenant_id=self.tenant,
                         correlation_id=request_id, clock=self.clock)

    def received(self, request_id: uuid.UUID, number: str = "+49305550100") -> Envelope:
        return self.event(request_id, 1, RequestReceived(
            user_id=uuid.uuid4(), title="Zahnreinigung", description="Termin",
            callback_number="+491701234567", number_to_call=number,
            preferred_time="Montag 10-12", user_profile=UserProfile()))

    def canceled(self, request_id: uuid.UUID) -> Envelope:
        return self.event(request_id, 2, RequestCanceled())

    async def handle(self, event: Envelope) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            if await inbox.claim(conn, REQUESTS_CONSUMER, event.id):
                await on_request_event(PgTransaction(conn), self.ctx, event)


async def until_query(pool: asyncpg.Pool, sql: str, *args: object, equals: object,
                      within: float = 10.0) -> None:
    """Wait (``eventually``) until ``sql``'s single value equals ``equals``. The query
    runs in a background task between checks, as ``eventually``'s check must be sync."""
    latest: list[object] = [object()]

    async def refresh() -> None:
        while True:
            latest[0] = await pool.fetchval(sql, *args)
            await asyncio.sleep(0.02)

    refresher = asyncio.create_task(refresh())
    try:
        await eventually(lambda: latest[0] == equals or refresher.done(), within)
        if refresher.done():
            refresher.result()  # surfaces the query's error
    finally:
        refresher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refresher
