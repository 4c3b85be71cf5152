"""A conversation's events are numbered 1, 2, 3 … with no gap, whatever Postgres does.

The faults are real: the connection writing an event is terminated by the server in the
middle of its transaction (see ``pg_faults``). A write that failed must not burn its
version (consumers that apply a conversation's events in order would wait for it for
ever), a retry must write the same events again, and the events of one step
(``booking_in_progress`` and ``booking_confirmed``) commit together or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import orjson
import pytest
from bridge_harness import Bridge
from media_bridge.adapters.conversation_repository import PostgresConversationStore
from media_bridge.application.conversation_log import ConversationLog
from media_bridge.application.ports import StoreUnavailable
from media_bridge.domain.call_facts import OUTBOUND, CallFacts
from media_bridge.entrypoints.app import migrations_dir
from pg_faults import CommitAnswerCutter, kill_writes
from ringbook.clock import SystemClock
from ringbook.contracts.calls import BookingConfirmed, BookingInProgress, CallFailed
from ringbook.events import new_event
from ringbook.store.database import create_pool
from ringbook.store.migrations import migrate
from ringbook_devtools.testing.infra import ServerSet
from twilio_peer import TENANT, booking_call, completed_within

BOOKS = "+49305550100"
BOOKING_CONFIRMED = "new.type = 'booking_confirmed'"


async def conversation_events(bridge: Bridge) -> list[tuple[int, str]]:
    rows = await bridge.pool.fetch("select version, type from events order by version")
    assert len({r["version"] for r in rows}) == len(rows)
    return [(r["version"], r["type"]) for r in rows]


async def test_a_booking_whose_write_is_killed_is_retried_whole_and_leaves_no_gap(
    fast_bridge: Bridge, infra: ServerSet, fresh_schema: str
) -> None:
    killer = await kill_writes(infra.database_url, schema=fresh_schema, table="events",
                               condition=BOOKING_CONFIRMED, times=1)
    await booking_call(fast_bridge, infra, 41, BOOKS)
    completed = await completed_within(fast_bridge, 10)

    assert await killer.kills() == 1
    # The killed transaction held both of the step's events; its retry stored them,
    # and nothing was skipped.
    assert await conversation_events(fast_bridge) == [
        (1, "booking_in_progress"), (2, "booking_confirmed"), (3, "call_completed")]
    assert completed["outcome"] == "booked"


async def test_a_booking_that_never_commits_takes_no_version(
    fast_bridge: Bridge, infra: ServerSet, fresh_schema: str
) -> None:
    killer = await kill_writes(infra.database_url, schema=fresh_schema, table="events",
                               condition=BOOKING_CONFIRMED, times=10_000)
    await booking_call(fast_bridge, infra, 42, BOOKS)
    completed = await completed_within(fast_bridge, 10)

    # Neither event of the failed step is stored (not booking_in_progress alone), and
    # the next event takes the version the failed step did not use.
    assert await conversation_events(fast_bridge) == [(1, "call_completed")]
    assert await killer.kills() >= 2  # retried before the tool gave up
    assert completed["outcome"] != "booked"


@pytest.fixture
async def store_pool(infra: ServerSet, fresh_schema: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(infra.database_url, fresh_schema, migrations_dir())
    pool = await create_pool(infra.database_url, schema=fresh_schema, min_size=1, max_size=2)
    try:
        yield pool
    finally:
        await pool.close()


def booking_step(conversation_id: uuid.UUID) -> list[Any]:
    request_id = uuid.uuid4()
    return [
        new_event(data, aggregate="conversation", aggregate_id=conversation_id,
                  version=version, tenant_id=TENANT, correlation_id=request_id,
                  clock=SystemClock())
        for version, data in enumerate(
            [BookingInProgress(attempt=1, details="Mo 10:30"),
             BookingConfirmed(attempt=1, summary="Mo 10:30")], start=1)
    ]


async def test_a_step_written_again_is_stored_once(store_pool: asyncpg.Pool) -> None:
    # A commit whose answer was lost (the connection died after COMMIT) is retried with
    # the same events: the retry must find them stored, not fail or store them twice.
    store = PostgresConversationStore(store_pool)
    conversation_id = uuid.uuid4()
    step = booking_step(conversation_id)
    await store.append(step)
    await store.append(step)

    rows = await store_pool.fetch("select id, version from events order by version")
    assert [(r["id"], r["version"]) for r in rows] == [(e.id, e.version) for e in step]
    outbox = await store_pool.fetch("select payload from outbox")
    assert sorted(orjson.loads(r["payload"])["version"] for r in outbox) == [1, 2]
    assert await store.stored_version(conversation_id) == 2
    assert await store.stored_version(uuid.uuid4()) == 0


FACTS = CallFacts(call_sid="CA1", direction=OUTBOUND, request_id=uuid.uuid4(), tenant_id=TENANT)
BOOKING = [BookingInProgress(attempt=1, details="Mo 10:30"),
           BookingConfirmed(attempt=1, summary="Mo 10:30")]
NO_SLOT = [CallFailed(attempt=1, call_sid="CA1", reason="no slot", retry_at=None,
                      timezone="UTC", callback_requested=True)]


async def stored(pool: asyncpg.Pool) -> list[tuple[int, str]]:
    rows = await pool.fetch("select version, type from events order by version")
    return [(r["version"], r["type"]) for r in rows]


async def test_a_commit_whose_answer_is_lost_is_retried_and_stored_once(
    infra: ServerSet, fresh_schema: str, store_pool: asyncpg.Pool
) -> None:
    async with CommitAnswerCutter(infra.database_url) as proxy:
        pool = await create_pool(proxy.url(), schema=fresh_schema, min_size=1, max_size=2)
        try:
            log = ConversationLog(aggregate_id=uuid.uuid4(), clock=SystemClock(),
                                  store=PostgresConversationStore(pool))
            proxy.cut_next_commit()
            await log.commit(FACTS, BOOKING, within=5)
            assert proxy.cuts == 1  # the first attempt committed and was told it failed
            await log.commit(FACTS, NO_SLOT, within=5)
        finally:
            await pool.close()
    assert await stored(store_pool) == [
        (1, "booking_in_progress"), (2, "booking_confirmed"), (3, "call_failed")]
    assert log.version == 3


async def test_a_step_given_up_after_its_commit_is_counted_by_the_next(
    infra: ServerSet, fresh_schema: str, store_pool: asyncpg.Pool
) -> None:
    async with CommitAnswerCutter(infra.database_url) as proxy:
        pool = await create_pool(proxy.url(), schema=fresh_schema, min_size=1, max_size=2)
        try:
            log = ConversationLog(aggregate_id=uuid.uuid4(), clock=SystemClock(),
                                  store=PostgresConversationStore(pool))
            proxy.cut_next_commit()
            with pytest.raises(StoreUnavailable):
                await log.commit(FACTS, BOOKING, within=0)  # no time for a retry
            # The step did commit: the next one comes after it, neither overwriting it
            # (a version conflict) nor leaving a hole.
            await log.commit(FACTS, NO_SLOT, within=5)
        finally:
            await pool.close()
    assert await stored(store_pool) == [
        (1, "booking_in_progress"), (2, "booking_confirmed"), (3, "call_failed")]


async def test_a_step_that_failed_leaves_its_versions_to_the_next(
    infra: ServerSet, fresh_schema: str, store_pool: asyncpg.Pool
) -> None:
    killer = await kill_writes(infra.database_url, schema=fresh_schema, table="events",
                               condition=BOOKING_CONFIRMED, times=10_000)
    log = ConversationLog(aggregate_id=uuid.uuid4(), clock=SystemClock(),
                          store=PostgresConversationStore(store_pool))
    with pytest.raises(StoreUnavailable):
        await log.commit(FACTS, BOOKING, within=0.3)
    assert await killer.kills() >= 2
    await killer.stop()
    await log.commit(FACTS, NO_SLOT, within=5)
    assert await stored(store_pool) == [(1, "call_failed")]
