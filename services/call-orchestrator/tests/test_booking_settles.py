"""A request with a confirmed booking is never dialled again.

The conversation's ``booking_confirmed`` (media-bridge, conversation aggregate) settles
the call job by itself: if the conversation's ``call_completed`` is lost, the sweep for
unreported calls must not take the booked call for one without a conversation, fail it
and schedule a retry."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest
from flow_harness import ANSWERS, Harness, has
from orchestration_db import until_query
from ringbook.contracts.calls import CONVERSATION, BookingConfirmed, CallFailed
from ringbook_devtools.testing.infra import ServerSet


@pytest.fixture
async def pool(infra: ServerSet, fresh_schema: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(infra.database_url, min_size=1, max_size=2,
                                     server_settings={"search_path": fresh_schema})
    yield pool
    await pool.close()


async def _booking_confirmed(harness: Harness, request_id: uuid.UUID, attempt: int) -> None:
    await harness.publish(harness.event(
        BookingConfirmed(attempt=attempt, summary="Montag 10:00 bei Dr. Müller"),
        request_id, aggregate_id=uuid.uuid4(), version=2, aggregate=CONVERSATION))


async def test_a_booked_call_whose_report_is_lost_is_never_redialled(
    harness: Harness, pool: asyncpg.Pool, fresh_schema: str
) -> None:
    booked = await harness.submit(ANSWERS)
    # The sentinel: its report is lost as well, but nothing was booked on it.
    unreported = await harness.submit(ANSWERS)
    for request_id in (booked, unreported):
        await harness.wait_types(request_id, has("call_connected"))
    await _booking_confirmed(harness, booked, attempt=1)  # and no call_completed, ever
    await until_query(pool, "select state from call_jobs where request_id = $1", booked,
                      equals="finished")
    await until_query(pool, "select count(*) from call_attempts where state = 'ended'",
                      equals=2)  # the carrier ended both calls

    harness.clock.advance(timedelta(seconds=61))  # past the report's grace
    await pool.execute("select pg_notify($1, '')", f"ringbook_timers_{fresh_schema}")
    # The sweep has run past both deadlines: the sentinel was concluded and redialled.
    types = await harness.wait_types(unreported, lambda t: t.count("call_started") == 2)
    assert types[2:4] == ["call_completed", "call_failed"]

    assert [e.type for e in await harness.call_events(booked)] == [
        "call_started", "call_connected"]
    assert await pool.fetchval(
        "select count(*) from call_attempts where request_id = $1", booked) == 1
    assert await pool.fetchval(
        "select count(*) from call_timers where request_id = $1", booked) == 0


async def test_a_booking_confirmed_after_its_call_was_failed_cancels_the_retry(
    harness: Harness, pool: asyncpg.Pool
) -> None:
    """The two reports travel on separate consumers: a conversation's ``call_completed``
    saying the callee hung up may be applied before its ``booking_confirmed``. The
    booking still wins: the retry it had scheduled is dropped."""
    await pool.execute(  # retries wait, so the retry's timer can be seen and dropped
        "create function delay_retries() returns trigger language plpgsql as $$"
        " begin new.due_at := new.due_at + interval '1 hour'; return new; end $$;"
        " create trigger delay_retries before insert or update on call_timers"
        " for each row when (new.attempt > 1) execute function delay_retries();")
    request_id = await harness.submit(ANSWERS)
    await harness.wait_types(request_id, has("call_connected"))
    await harness.conversation_ended(request_id, "caller_hung_up")
    await harness.wait_types(request_id, has("call_failed"))
    assert await pool.fetchval(
        "select attempt from call_timers where request_id = $1", request_id) == 2

    await _booking_confirmed(harness, request_id, attempt=1)
    await until_query(pool, "select state from call_jobs where request_id = $1", request_id,
                      equals="finished")
    assert await pool.fetchval(
        "select count(*) from call_timers where request_id = $1", request_id) == 0
    failed = [e.data for e in await harness.call_events(request_id)
              if isinstance(e.data, CallFailed)]
    assert len(failed) == 1 and failed[0].retry_at is not None
