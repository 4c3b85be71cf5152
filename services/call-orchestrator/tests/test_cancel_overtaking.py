"""A canceled request is never dialled, in whatever order its events arrive.

``request_canceled`` (v2) can be handled before ``request_received`` (v1): v1 was nak'ed
for a transient error and comes back later, or two replicas share the durable consumer
and each takes one. The cancel then finds no job; it must still be what decides."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
from flow_harness import ANSWERS, MONDAY_10_BERLIN, Harness, has
from orchestration_db import (
    REQUESTS_CONSUMER,
    Requests,
    UnconfirmedCarrier,
    migrated_pool,
    orchestration,
    until_query,
)
from ringbook.clock import FakeClock
from ringbook.contracts.requests import RequestCanceled, RequestReceived, UserProfile
from ringbook_devtools.testing.infra import ServerSet

# A real transient failure, raised by Postgres itself: the first call job insert fails
# with a serialization failure (40001), so the consumer naks request_received and
# handles the cancel behind it first. A sequence counts the inserts, since it is not
# rolled back with the failed transaction.
FAIL_THE_FIRST_JOB_INSERT = """
create sequence job_inserts;
create function fail_first_job_insert() returns trigger language plpgsql as $$
begin
    if nextval('job_inserts') = 1 then
        raise exception 'injected transient failure' using errcode = '40001';
    end if;
    return new;
end $$;
create trigger fail_first_job_insert before insert on call_jobs
    for each row execute function fail_first_job_insert();
"""


async def test_a_cancel_handled_before_its_request_is_never_dialled(
    harness: Harness, infra: ServerSet, fresh_schema: str
) -> None:
    pool = await asyncpg.create_pool(infra.database_url, min_size=1, max_size=2,
                                     server_settings={"search_path": fresh_schema})
    try:
        await pool.execute(FAIL_THE_FIRST_JOB_INSERT)
        request_id = uuid.uuid4()
        received = harness.event(RequestReceived(
            user_id=uuid.uuid4(), title="Zahnreinigung", description="Termin",
            callback_number="+491701234567", number_to_call=ANSWERS,
            preferred_time="Montag 10-12", user_profile=UserProfile(),
        ), request_id, aggregate_id=request_id, version=1)
        canceled = harness.event(RequestCanceled(), request_id, aggregate_id=request_id,
                                 version=2)
        await harness.publish(received)
        await harness.publish(canceled)

        # Both applied, the cancel first: request_received failed once and came back.
        await until_query(pool, "select count(*) from inbox where consumer = $1",
                          REQUESTS_CONSUMER, equals=2)
        handled = await pool.fetch(
            "select event_id from inbox where consumer = $1 order by handled_at",
            REQUESTS_CONSUMER)
        assert [r["event_id"] for r in handled] == [canceled.id, received.id]
        assert await pool.fetchval("select last_value from job_inserts") >= 2

        # A request submitted after it is dialled: the dialer has run since, and the
        # canceled request left it nothing to dial.
        sentinel = await harness.submit(ANSWERS)
        await harness.wait_types(sentinel, has("call_started"))
        assert await harness.call_events(request_id) == []
        async with httpx.AsyncClient() as client:
            calls = (await client.get(f"{harness.carrier_url}/calls")).json()["calls"]
        assert len(calls) == 1  # the sentinel's
        assert await pool.fetchval(
            "select count(*) from call_attempts where request_id = $1", request_id) == 0
        assert await pool.fetchval(
            "select count(*) from call_timers where request_id = $1", request_id) == 0
        assert await pool.fetchval(
            "select state from call_jobs where request_id = $1", request_id) == "canceled"
    finally:
        await pool.close()


async def test_a_cancel_and_its_request_racing_on_two_replicas_never_dial(
    infra: ServerSet, fresh_schema: str
) -> None:
    """Each replica handles one of the two events, at the same moment, round after
    round: whichever commits first, the request ends canceled without a timer."""
    clock = FakeClock(MONDAY_10_BERLIN)
    ctx = orchestration(clock, UnconfirmedCarrier())
    async with migrated_pool(infra, fresh_schema, size=6) as pool:
        requests = Requests(pool, ctx, clock)
        ids = [uuid.uuid4() for _ in range(40)]
        for n, request_id in enumerate(ids):
            pair = [requests.received(request_id), requests.canceled(request_id)]
            if n % 2:
                pair.reverse()
            await asyncio.gather(*(requests.handle(e) for e in pair))
        states = await pool.fetch("select state, count(*) from call_jobs group by state")
        assert {r["state"]: r["count"] for r in states} == {"canceled": len(ids)}
        assert await pool.fetchval("select count(*) from call_timers") == 0


async def test_a_redelivered_request_after_its_cancel_stays_canceled(
    infra: ServerSet, fresh_schema: str
) -> None:
    clock = FakeClock(MONDAY_10_BERLIN)
    ctx = orchestration(clock, UnconfirmedCarrier())
    async with migrated_pool(infra, fresh_schema) as pool:
        requests = Requests(pool, ctx, clock)
        request_id = uuid.uuid4()
        await requests.handle(requests.canceled(request_id))
        await requests.handle(requests.received(request_id))
        # Another tenant's request of the same id is not canceled by it.
        other = Requests(pool, ctx, clock)
        await other.handle(other.received(uuid.uuid4()))
        assert await pool.fetchval(
            "select state from call_jobs where request_id = $1", request_id) == "canceled"
        assert await pool.fetchval("select count(*) from call_timers") == 1  # the other's
        assert await pool.fetchval("select count(*) from events where aggregate_id = $1",
                                   request_id) == 0
