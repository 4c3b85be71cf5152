"""Seed 004 end to end: somebody calls the business.

The simulated carrier rings call-orchestrator's signed ``/webhook/incoming-call``, runs
its TwiML (a ``<Stream>`` to media-bridge) and plays the caller's scripted lines;
media-bridge bridges them to the simulated realtime model, whose receptionist script
answers and ends the call. The events are read from the system's own JetStream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import asyncpg
import httpx
import jwt
import nats
import pytest
from ringbook.bus.reading import subject_events
from ringbook.contracts.calls import INBOUND_CALL
from ringbook.contracts.streams import CALLS
from ringbook.events import Envelope
from ringbook_devtools.system import LocalSystem
from ringbook_devtools.testing.waiting import eventually
from ringbook_simulators.realtime.scripts import RECEPTIONIST, script_for

from tests.e2e.support import running_system

pytestmark = pytest.mark.e2e
CALLER, OUR_NUMBER = "+49 170 1234567", "+49 30 5550000"
COMPLETED = CALLS.subject_filter(aggregate=INBOUND_CALL, event_type="call_completed")


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[LocalSystem]:
    yield from running_system(request)


async def call_completed(
    system: LocalSystem, where: Callable[[Envelope], bool], within: float
) -> Envelope:
    """The first ``call_completed`` of an inbound call matching ``where``, polled from
    the CALLS stream of the running system's NATS."""
    nc = await nats.connect(system.nats_url)
    found: list[Envelope] = []

    async def matched() -> bool:
        nonlocal found
        found = [e for e in await subject_events(js, COMPLETED, stream=CALLS.name) if where(e)]
        return bool(found)

    try:
        js = nc.jetstream()
        await eventually(matched, within, what="a matching call_completed", poll=1.0)
        return found[0]
    finally:
        await nc.close()


async def carrier_call(http: httpx.AsyncClient, sid: str) -> dict[str, Any]:
    calls: list[dict[str, Any]] = (await http.get("/calls")).json()["calls"]
    return next(call for call in calls if call["sid"] == sid)


async def test_an_inbound_call_ends_with_both_sides_of_the_transcript(
    system: LocalSystem,
) -> None:
    async with httpx.AsyncClient(base_url=system.url("carrier"), timeout=30) as http:
        response = await http.post(
            "/simulate/incoming-call", json={"from": CALLER, "to": OUR_NUMBER}
        )
        assert response.status_code == 201, response.text
        sid = response.json()["sid"]
        parameters = response.json()["stream"]["parameters"]
        # The stream says nothing about the call but its token, minted for this call sid;
        # media-bridge admits the stream with it and believes nothing else.
        assert set(parameters) == {"stream_token"}
        claims = jwt.decode(parameters["stream_token"], options={"verify_signature": False})
        assert (claims["sub"], claims["direction"]) == (sid, "inbound")

        # media-bridge's conversation: both sides of the receptionist script.
        bridge = await call_completed(
            system, lambda e: e.data.call_sid == sid and bool(e.data.transcript), within=150
        )
        script = script_for(RECEPTIONIST, date.today())
        said = [(line.speaker, line.text) for line in bridge.data.transcript]
        assert [text for who, text in said if who == "callee"] == [
            t.text for t in script.turns if t.speaker == "caller"
        ]
        assert [text for who, text in said if who == "agent"] == [
            t.text for t in script.turns if t.speaker == "agent"
        ]
        assert bridge.data.outcome == "ended"  # the agent's end_call hung up
        # The conversation is the token's session, of the token's tenant.
        assert str(bridge.correlation_id) == claims["request"]
        assert str(bridge.tenant_id) == claims["tenant"]

        # The carrier's record: ended by the agent (media-bridge closing the stream and
        # asking for a hang-up), the final status reported to call-orchestrator ...
        call: dict[str, Any] = {}

        async def reported() -> bool:
            nonlocal call
            call = await carrier_call(http, sid)
            return call["status"] == "completed" and bool(call["callbacks"])

        await eventually(reported, 60, what=lambda: f"the carrier's call: {call}", poll=0.5)
        assert call["direction"] == "inbound"
        assert [h["status"] for h in call["history"]] == [
            "queued", "ringing", "in-progress", "completed"]
        assert call["voice_webhook"]["http_status"] == 200
        assert call["callbacks"] == [{"sequence_number": 0, "call_status": "completed",
                                      "delivered": True, "http_status": 200}]

    # ... where it ended the session's attempt, which the webhook had opened with
    # call_started and call_connected on the inbound_call aggregate.
    conn = await asyncpg.connect(system.database_url)
    try:
        state = await conn.fetchval(
            "select state from call_orchestrator.call_attempts where call_sid = $1", sid)
    finally:
        await conn.close()
    assert state == "ended"
    nc = await nats.connect(system.nats_url)
    try:
        session = await subject_events(
            nc.jetstream(), f"ringbook.calls.{INBOUND_CALL}.{claims['request']}.*",
            stream=CALLS.name)
    finally:
        await nc.close()
    assert [e.type for e in session] == ["call_started", "call_connected"]
    assert all(e.data.call_sid == sid for e in session)
