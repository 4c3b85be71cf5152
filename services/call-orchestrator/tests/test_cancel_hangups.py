"""A cancel commits whatever the carrier does; a live call of a canceled request, or of
an attempt already given up, is hung up as soon as its sid is known, with retries.

Real Postgres, a real nats-server, the simulated carrier, and between it and the
orchestrator a front (``carrier_front``) that holds a dial, its answer or the callbacks,
and refuses hang-ups with 503/429, as Twilio does under load. A hang-up that fails is
retried under the fake clock: the test moves the clock past the backoff and wakes the
hang-up loop, never sleeps."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import httpx
import nats
import pytest
from carrier_front import CarrierFront, serving
from flow_harness import ANSWERS, MONDAY_10_BERLIN, Harness, has, orchestrator
from orchestration_db import REQUESTS_CONSUMER, until_query
from ringbook.clock import FakeClock
from ringbook.contracts.calls import CONVERSATION, BookingConfirmed
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.waiting import eventually
from ringbook_simulators.carrier.settings import CarrierSettings
from ringbook_simulators.carrier.testing import MediaStreamRecorder, running_carrier

LIVE = ("queued", "initiated", "ringing", "in-progress")


@dataclass
class Line:
    """The orchestrator behind the front, and what a test looks at."""

    harness: Harness
    front: CarrierFront
    pool: asyncpg.Pool
    schema: str

    @property
    def clock(self) -> FakeClock:
        return self.harness.clock

    async def retry_hangups_now(self) -> None:
        """Past any hang-up's backoff, and the hang-up loop woken to see it."""
        self.clock.advance(timedelta(minutes=2))
        await self.pool.execute("select pg_notify($1, '')", f"ringbook_hangups_{self.schema}")

    async def wake_dialer(self) -> None:
        await self.pool.execute("select pg_notify($1, '')", f"ringbook_timers_{self.schema}")

    async def sid_of(self, request_id: uuid.UUID, attempt: int) -> str:
        await until_query(self.pool, "select call_sid is not null from call_attempts"
                          " where request_id = $1 and attempt = $2", request_id, attempt,
                          equals=True)
        sid: str = await self.pool.fetchval(
            "select call_sid from call_attempts where request_id = $1 and attempt = $2",
            request_id, attempt)
        return sid

    async def carrier_status(self, sid: str) -> str:
        async with httpx.AsyncClient() as client:
            calls = (await client.get(f"{self.harness.carrier_url}/calls")).json()["calls"]
        return str(next(c["status"] for c in calls if c["sid"] == sid))

    async def pending_hangups(self) -> int:
        return int(await self.pool.fetchval("select count(*) from pending_hangups"))


@pytest.fixture
async def line(infra: ServerSet, fresh_schema: str, fresh_streams: None) -> AsyncIterator[Line]:
    clock = FakeClock(MONDAY_10_BERLIN)
    # The callee stays on the line until someone hangs up: only our hang-up ends a call.
    carrier_settings = CarrierSettings(ring_seconds=0.3, answer_after_seconds=0.1,
                                       answered_hold_seconds=60.0)
    media = MediaStreamRecorder(auth_token=carrier_settings.auth_token)
    nc = await nats.connect(infra.nats_url)
    pool = await asyncpg.create_pool(infra.database_url, min_size=1, max_size=3,
                                     server_settings={"search_path": fresh_schema})
    try:
        async with running_carrier(carrier_settings) as (carrier_url, _), \
                media.serving() as media_url:
            front = CarrierFront(carrier_url)
            async with serving(front) as front_url, orchestrator(
                infra, fresh_schema, clock, front_url, media_url, public_base_url=front_url,
            ) as url:
                front.orchestrator_url = url
                harness = Harness(url, clock, nc.jetstream(), media, carrier_url, uuid.uuid4())
                try:
                    yield Line(harness, front, pool, fresh_schema)
                finally:  # nothing left held while the servers stop
                    for gate in (front.creates, front.create_answers, front.callbacks):
                        gate.set()
    finally:
        await pool.close()
        await nc.close()


async def _canceled_while_dialing(line: Line) -> uuid.UUID:
    """A request whose first dial the carrier holds, canceled meanwhile: the cancel
    commits while the attempt is ``dialing`` and has no sid yet."""
    line.front.creates.clear()
    request_id = await line.harness.submit(ANSWERS)
    await eventually(lambda: line.front.held_creates == 1)
    await line.harness.cancel(request_id)
    await until_query(line.pool, "select state from call_jobs where request_id = $1",
                      request_id, equals="canceled")
    assert await line.pool.fetchval(
        "select state from call_attempts where request_id = $1", request_id) == "dialing"
    return request_id


async def test_a_call_canceled_while_dialing_is_hung_up_once_the_dial_names_it(
    line: Line,
) -> None:
    line.front.callbacks.clear()  # the dial's answer, not a callback, brings the sid
    request_id = await _canceled_while_dialing(line)
    line.front.refuse_hangups = 2
    line.front.creates.set()
    sid = await line.sid_of(request_id, 1)

    await eventually(lambda: line.front.hangups_of(sid) == [503])
    await line.retry_hangups_now()
    await eventually(lambda: line.front.hangups_of(sid) == [503, 503])
    await line.retry_hangups_now()
    await eventually(lambda: line.front.hangups_of(sid) == [503, 503, 200])
    line.front.callbacks.set()
    await until_query(line.pool, "select count(*) from pending_hangups", equals=0)
    assert await line.carrier_status(sid) not in LIVE


async def test_a_call_canceled_while_dialing_is_hung_up_once_a_callback_names_it(
    line: Line,
) -> None:
    line.front.create_answers.clear()  # a status callback brings the sid first
    request_id = await _canceled_while_dialing(line)
    line.front.refuse_hangups, line.front.refusal = 1, 429
    line.front.creates.set()
    sid = await line.sid_of(request_id, 1)
    assert line.front.created == [sid]  # the dial's answer is still held

    await eventually(lambda: line.front.hangups_of(sid) == [429])
    await line.retry_hangups_now()
    await eventually(lambda: line.front.hangups_of(sid) == [429, 200])
    line.front.create_answers.set()
    await until_query(line.pool, "select count(*) from pending_hangups", equals=0)
    assert await line.carrier_status(sid) not in LIVE
    types = await line.harness.wait_types(request_id, has("call_started", "call_failed"))
    assert types.count("call_started") == 1  # the dial's late answer adds nothing


async def test_a_cancel_commits_while_the_carrier_refuses_to_hang_up(line: Line) -> None:
    request_id = await line.harness.submit(ANSWERS)
    await line.harness.wait_types(request_id, has("call_connected"))
    sid = await line.sid_of(request_id, 1)
    line.front.refuse_hangups = None  # every hang-up refused, until the carrier recovers

    await line.harness.cancel(request_id)
    await until_query(line.pool, "select state from call_jobs where request_id = $1",
                      request_id, equals="canceled")
    await eventually(lambda: line.front.hangups_of(sid) == [503])
    await line.retry_hangups_now()
    await eventually(lambda: line.front.hangups_of(sid) == [503, 503])
    # Committed and acknowledged once, whatever the carrier said: nothing dead-lettered.
    assert await line.pool.fetchval(
        "select count(*) from inbox where consumer = $1", REQUESTS_CONSUMER) == 2
    assert await line.pool.fetchval("select count(*) from dead_letters") == 0
    assert await line.carrier_status(sid) == "in-progress"

    line.front.refuse_hangups = 0  # the carrier is back
    await line.retry_hangups_now()
    await eventually(lambda: line.front.hangups_of(sid) == [503, 503, 200])
    await until_query(line.pool, "select count(*) from pending_hangups", equals=0)
    assert await line.carrier_status(sid) == "completed"


async def test_a_late_call_of_an_attempt_already_given_up_is_hung_up(line: Line) -> None:
    line.front.creates.clear()
    request_id = await line.harness.submit(ANSWERS)
    await eventually(lambda: line.front.held_creates == 1)
    # The carrier never confirms attempt 1: it is given up and attempt 2 is dialled.
    line.clock.advance(timedelta(seconds=121))
    await line.wake_dialer()
    await line.harness.wait_types(request_id, has("call_failed"))
    await eventually(lambda: line.front.held_creates == 2)

    line.front.creates.set()  # both dials reach the carrier after all
    await eventually(lambda: len(line.front.created) == 2)
    second = await line.sid_of(request_id, 2)
    first = next(sid for sid in line.front.created if sid != second)
    await eventually(lambda: line.front.hangups_of(first) == [200])
    await until_query(line.pool, "select count(*) from pending_hangups", equals=0)
    assert await line.carrier_status(first) not in LIVE
    assert line.front.hangups_of(second) == []
    assert await line.carrier_status(second) in LIVE


async def test_a_retry_on_the_line_when_the_booking_is_known_is_hung_up(line: Line) -> None:
    """The conversation's report that attempt 1 ended without a booking was applied
    before its booking_confirmed (they travel on separate consumers), so attempt 2 was
    dialled; once the booking is known, that call has nothing left to do."""
    request_id = await line.harness.submit(ANSWERS)
    await line.harness.wait_types(request_id, has("call_connected"))
    first = await line.sid_of(request_id, 1)
    await line.harness.conversation_ended(request_id, "caller_hung_up")
    await line.harness.wait_types(request_id, lambda t: t.count("call_connected") == 2)
    second = await line.sid_of(request_id, 2)

    await line.harness.publish(line.harness.event(
        BookingConfirmed(attempt=1, summary="Montag 10:00 bei Dr. Müller"),
        request_id, aggregate_id=uuid.uuid4(), version=2, aggregate=CONVERSATION))
    await eventually(lambda: line.front.hangups_of(second) == [200])
    await until_query(line.pool, "select state from call_jobs where request_id = $1",
                      request_id, equals="finished")
    assert await line.carrier_status(second) == "completed"
    assert line.front.hangups_of(first) == []  # the call that booked is left to end
