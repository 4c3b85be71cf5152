"""A status callback that never arrives does not leave its attempt waiting forever.

Twilio does not retry status callbacks: if our webhook answers 5xx once, that news is
lost. Real Postgres, a real nats-server, the simulated carrier; a proxy in front of the
webhook loses one callback for real. Once the attempt is past its deadline under the
FakeClock, the reconcile sweep asks the carrier (Twilio's call fetch) and the request
goes on exactly as the lost callback would have taken it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import nats
import pytest
from callback_faults import CallbackFaults
from flow_harness import ANSWERS, BUSY, MONDAY_10_BERLIN, Harness, has, orchestrator
from ringbook.clock import FakeClock
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.waiting import eventually
from ringbook_simulators.carrier.settings import CarrierSettings
from ringbook_simulators.carrier.testing import MediaStreamRecorder, running_carrier, serve_app

PLACED_CHECK_S = 90
CONNECTED_CHECK_S = 600
GRACE_S = 60


@dataclass
class Faulty:
    harness: Harness
    faults: CallbackFaults
    database_url: str
    schema: str

    async def attempts(self, request_id: uuid.UUID) -> list[tuple[int, str, float | None]]:
        conn = await asyncpg.connect(self.database_url)
        try:
            rows = await conn.fetch(
                f"select attempt, state, duration_seconds from {self.schema}.call_attempts"
                " where request_id = $1 order by attempt", request_id)
        finally:
            await conn.close()
        return [(r["attempt"], r["state"], r["duration_seconds"]) for r in rows]

    async def wait_attempts(
        self, request_id: uuid.UUID,
        done: Callable[[list[tuple[int, str, float | None]]], bool], timeout: float = 10,
    ) -> list[tuple[int, str, float | None]]:
        # Like Harness.wait_types, for what only the service's own table shows.
        deadline = asyncio.get_running_loop().time() + timeout
        while not done(rows := await self.attempts(request_id)):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"attempts so far: {rows}")
            await asyncio.sleep(0.1)
        return rows


@pytest.fixture
async def faulty(infra: ServerSet, fresh_schema: str, fresh_streams: None
                 ) -> AsyncIterator[Faulty]:
    clock = FakeClock(MONDAY_10_BERLIN)
    carrier_settings = CarrierSettings(
        ring_seconds=0.3, answered_hold_seconds=1.0, answer_after_seconds=0.1)
    media = MediaStreamRecorder(auth_token=carrier_settings.auth_token)
    faults = CallbackFaults()
    nc = await nats.connect(infra.nats_url)
    async with (
        running_carrier(carrier_settings) as (carrier_url, _),
        media.serving() as media_url,
        serve_app(faults.app()) as proxy_url,
        orchestrator(
            infra, fresh_schema, clock, carrier_url, media_url,
            public_base_url=proxy_url,  # the carrier's callbacks pass the proxy
            dialer_sweep_seconds=0.2,
            carrier_check_placed_seconds=PLACED_CHECK_S,
            carrier_check_connected_seconds=CONNECTED_CHECK_S,
            conversation_report_grace_seconds=GRACE_S,
        ) as url,
    ):
        faults.target = url
        harness = Harness(url, clock, nc.jetstream(), media, carrier_url, uuid.uuid4())
        yield Faulty(harness, faults, infra.database_url, fresh_schema)
    await nc.close()


async def test_a_lost_final_callback_of_an_unanswered_call_is_reconciled_then_retried(
    faulty: Faulty,
) -> None:
    h = faulty.harness
    faulty.faults.lose_once("busy")
    request_id = await h.submit(BUSY)
    await h.wait_types(request_id, has("call_started"))
    await eventually(lambda: faulty.faults.lost_statuses() == ["busy"])
    # The carrier has ended the call and told us once; we answered 500, so to us the
    # callee is still ringing.
    assert await faulty.attempts(request_id) == [(1, "placed", None)]

    h.clock.advance(timedelta(seconds=PLACED_CHECK_S + 1))
    types = await h.wait_types(request_id, lambda t: t.count("call_started") >= 2)
    assert types[:3] == ["call_started", "call_failed", "call_started"]
    failed = next(e.data for e in await h.call_events(request_id) if e.type == "call_failed")
    assert failed.attempt == 1 and failed.reason == "busy"  # type: ignore[attr-defined]
    assert failed.retry_at is not None  # type: ignore[attr-defined]
    assert (await faulty.attempts(request_id))[0] == (1, "failed", None)


async def test_a_lost_end_of_an_answered_call_is_reconciled_then_awaits_its_result(
    faulty: Faulty,
) -> None:
    h = faulty.harness
    faulty.faults.lose_once("completed")
    request_id = await h.submit(ANSWERS)
    await h.wait_types(request_id, has("call_connected"))
    await eventually(lambda: faulty.faults.lost_statuses() == ["completed"], within=10)
    assert await faulty.attempts(request_id) == [(1, "connected", None)]

    h.clock.advance(timedelta(seconds=CONNECTED_CHECK_S + 1))
    [(_, state, duration)] = await faulty.wait_attempts(
        request_id, lambda rows: rows[0][1] != "connected")
    # The carrier's duration, as its lost "completed" callback would have carried it.
    assert state == "ended" and duration is not None and duration >= 1

    # Then the wait for the conversation's report, as after any answered call: none
    # comes (no media-bridge here), so the sweep settles it and the retry follows.
    h.clock.advance(timedelta(seconds=GRACE_S + 1))
    types = await h.wait_types(request_id, lambda t: t.count("call_started") >= 2)
    assert types[:5] == ["call_started", "call_connected", "call_completed", "call_failed",
                         "call_started"]
    completed = next(e.data for e in await h.call_events(request_id)
                     if e.type == "call_completed")
    assert completed.outcome == "no_conversation"  # type: ignore[attr-defined]
    assert completed.duration_seconds == duration  # type: ignore[attr-defined]
