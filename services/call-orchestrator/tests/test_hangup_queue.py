"""The hang-up queue against real Postgres, driven step by step under the fake clock: a
refused hang-up is retried with a growing backoff, a call the carrier does not know is
dropped, replicas never ask twice at once, and nothing is retried past a call's life."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from call_orchestrator.adapters.unit_of_work import PgUnitOfWork
from call_orchestrator.application.hangups import hang_up_due, hang_up_later
from call_orchestrator.application.telephony import (
    CallRejected,
    CarrierCall,
    PlaceCall,
    TelephonyUnavailable,
)
from orchestration_db import migrated_pool, orchestration
from ringbook.clock import FakeClock
from ringbook_devtools.testing.infra import ServerSet

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass
class ScriptedCarrier:
    """Answers each hang-up with the next scripted outcome (None: done), then done."""

    script: list[Exception | None] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)

    async def place_call(self, call: PlaceCall) -> str:
        raise AssertionError("nothing is dialled here")

    async def fetch_call(self, call_sid: str) -> CarrierCall:
        raise AssertionError("no call is looked up here")

    async def hang_up(self, call_sid: str) -> None:
        self.asked.append(call_sid)
        await asyncio.sleep(0)  # let a second replica run meanwhile
        outcome = self.script.pop(0) if self.script else None
        if outcome is not None:
            raise outcome


@dataclass
class Queue:
    pool: asyncpg.Pool
    clock: FakeClock
    carrier: ScriptedCarrier

    async def add(self, call_sid: str) -> None:
        ctx = orchestration(self.clock, self.carrier)
        async with PgUnitOfWork(self.pool).transaction() as tx:
            await hang_up_later(tx, ctx, call_sid=call_sid, request_id=uuid.uuid4(),
                                reason="request canceled")

    async def run_once(self) -> int:
        return await hang_up_due(PgUnitOfWork(self.pool),
                                 orchestration(self.clock, self.carrier))

    async def due_in(self, call_sid: str) -> float | None:
        due = await self.pool.fetchval(
            "select due_at from pending_hangups where call_sid = $1", call_sid)
        return None if due is None else (due - self.clock.now()).total_seconds()


@pytest.fixture
async def queue(infra: ServerSet, fresh_schema: str) -> AsyncIterator[Queue]:
    async with migrated_pool(infra, fresh_schema) as pool:
        yield Queue(pool, FakeClock(START), ScriptedCarrier())


async def test_a_refused_hang_up_is_retried_with_a_growing_backoff(queue: Queue) -> None:
    queue.carrier.script = [TelephonyUnavailable("503")] * 8
    await queue.add("CA1")
    waits = []
    for _ in range(8):
        assert await queue.run_once() == 1
        wait = await queue.due_in("CA1")
        assert wait is not None
        assert await queue.run_once() == 0  # not due before its backoff
        waits.append(wait)
        queue.clock.advance(timedelta(seconds=wait))
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    assert await queue.run_once() == 1  # the ninth try is answered
    assert await queue.due_in("CA1") is None
    assert queue.carrier.asked == ["CA1"] * 9


async def test_a_call_the_carrier_does_not_know_is_dropped(queue: Queue) -> None:
    queue.carrier.script = [CallRejected("unknown call", carrier_code=20404)]
    await queue.add("CA1")
    assert await queue.run_once() == 1
    assert await queue.due_in("CA1") is None


async def test_two_replicas_ask_the_carrier_once_per_call(queue: Queue) -> None:
    for n in range(10):
        await queue.add(f"CA{n}")
    await asyncio.gather(queue.run_once(), queue.run_once())
    assert sorted(queue.carrier.asked) == sorted(f"CA{n}" for n in range(10))


async def test_a_hang_up_refused_beyond_a_calls_life_is_given_up(queue: Queue) -> None:
    queue.carrier.script = [TelephonyUnavailable("503")] * 2
    await queue.add("CA1")
    assert await queue.run_once() == 1
    queue.clock.advance(timedelta(hours=4, seconds=1))
    assert await queue.run_once() == 1
    assert await queue.due_in("CA1") is None


async def test_recording_the_same_call_twice_keeps_one_row(queue: Queue) -> None:
    queue.carrier.script = [TelephonyUnavailable("503")]
    await queue.add("CA1")
    assert await queue.run_once() == 1
    await queue.add("CA1")  # e.g. a late callback of a canceled call
    assert await queue.due_in("CA1") == 1  # its backoff is kept
    assert await queue.pool.fetchval("select count(*) from pending_hangups") == 1
