"""The answer webhook of outbound calls (``/webhook/outbound-call?attempt_id=``), against
real Postgres and nats-server: an outbound call is created with a TwiML URL, so its
TwiML is made once the callee answers, when Twilio tells us the call sid. A live attempt
of an active request gets ``<Connect><Stream>`` with a stream token minted for exactly
that call; a canceled request, a given-up attempt, an unknown attempt or a call sid that
is not the attempt's gets ``<Hangup/>``. Unsigned requests are refused."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from call_orchestrator.adapters.unit_of_work import PgTransaction
from call_orchestrator.domain.attempts import Attempt, AttemptState
from call_orchestrator.domain.jobs import Job, JobState
from flow_harness import (
    ANSWERS,
    MONDAY_10_BERLIN,
    STREAM_TOKEN_SECRET,
    Harness,
    carrier_call_ended,
    has,
    orchestrator,
)
from ringbook.clock import FakeClock
from ringbook.stream_tokens import CallDirection, StreamGrant, StreamTokens
from ringbook_devtools.testing.infra import ServerSet
from twilio.request_validator import RequestValidator

MEDIA_BASE = "ws://127.0.0.1:9"  # only echoed in the TwiML, never dialed
VALIDATOR = RequestValidator("simulated-auth-token")
TENANT = uuid.uuid4()


class Answering:
    """call-orchestrator without a carrier, and its schema to arrange attempts in."""

    def __init__(self, url: str, conn: asyncpg.Connection, clock: FakeClock) -> None:
        self.url, self.conn, self.clock = url, conn, clock

    async def attempt(self, *, job_state: str = "active", state: AttemptState,
                      call_sid: str | None) -> Attempt:
        request_id = uuid.uuid4()
        job = Job(request_id=request_id, tenant_id=TENANT, number_to_call=ANSWERS,
                  timezone="Europe/Berlin", request={}, state=JobState.ACTIVE, version=0)
        async with self.conn.transaction():
            tx = PgTransaction(self.conn)
            assert await tx.jobs.add(job)
            attempt = await tx.attempts.add(request_id, 1, self.clock.now())
            assert attempt is not None
            await tx.attempts.update(attempt.id, state, self.clock.now(), call_sid)
            if job_state != "active":
                await tx.jobs.set_state(request_id, JobState(job_state))
        return attempt

    async def answer(self, attempt_id: object, call_sid: str,
                     signature: str | None = None) -> httpx.Response:
        url = f"{self.url}/webhook/outbound-call?attempt_id={attempt_id}"
        params = {"CallSid": call_sid, "CallStatus": "in-progress", "Direction": "outbound-api",
                  "From": "+49305550000", "To": ANSWERS, "AccountSid": "AC" + "0" * 32}
        sig = VALIDATOR.compute_signature(url, params) if signature is None else signature
        async with httpx.AsyncClient() as client:
            return await client.post(url, data=params, headers={"X-Twilio-Signature": sig})


@pytest.fixture
async def answering(
    infra: ServerSet, fresh_schema: str, fresh_streams: None
) -> AsyncIterator[Answering]:
    clock = FakeClock(MONDAY_10_BERLIN)
    async with orchestrator(infra, fresh_schema, clock, "http://127.0.0.1:9", MEDIA_BASE) as url:
        conn = await asyncpg.connect(infra.database_url,
                                     server_settings={"search_path": fresh_schema})
        try:
            yield Answering(url, conn, clock)
        finally:
            await conn.close()


def new_sid() -> str:
    return "CA" + uuid.uuid4().hex


def verbs(response: httpx.Response) -> list[ET.Element]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.text)
    assert root.tag == "Response"
    return list(root)


def streamed_grant(response: httpx.Response, call_sid: str, clock: FakeClock) -> StreamGrant:
    """The grant of the stream token in a ``<Connect><Stream>`` answer."""
    [connect] = verbs(response)
    [stream] = list(connect)
    assert (connect.tag, stream.tag) == ("Connect", "Stream")
    assert stream.get("url") == f"{MEDIA_BASE}/media-stream"
    params = {p.get("name"): p.get("value") for p in stream if p.tag == "Parameter"}
    # The token is the only thing the stream says about the call.
    assert set(params) == {"stream_token"}
    return StreamTokens(STREAM_TOKEN_SECRET, clock=clock).verify(params["stream_token"],
                                                                 call_sid=call_sid)


@pytest.mark.parametrize("state", [AttemptState.PLACED, AttemptState.CONNECTED,
                                   AttemptState.DIALING])
async def test_a_live_attempt_is_streamed_with_a_token_for_exactly_that_call(
    answering: Answering, state: AttemptState
) -> None:
    sid = new_sid()
    # DIALING: the answer overtook the commit of the sid we got from calls.create.
    attempt = await answering.attempt(state=state,
                                      call_sid=None if state is AttemptState.DIALING else sid)
    grant = streamed_grant(await answering.answer(attempt.id, sid), sid, answering.clock)
    assert (grant.call_sid, grant.tenant_id, grant.request_id) == (sid, TENANT,
                                                                   attempt.request_id)
    assert (grant.attempt, grant.direction) == (1, CallDirection.OUTBOUND)
    assert grant.expires_at == answering.clock.now() + timedelta(seconds=120)


@pytest.mark.parametrize(("job_state", "state", "sid_known"), [
    ("canceled", AttemptState.PLACED, True),  # the request was canceled meanwhile
    ("canceled", AttemptState.DIALING, False),
    ("active", AttemptState.FAILED, True),  # the attempt was given up (e.g. unconfirmed)
    ("active", AttemptState.ENDED, True),
    ("finished", AttemptState.PLACED, True),  # already booked by another attempt
], ids=["canceled", "canceled-before-sid", "given-up", "ended", "finished"])
async def test_an_attempt_that_must_not_talk_is_hung_up(
    answering: Answering, job_state: str, state: AttemptState, sid_known: bool
) -> None:
    sid = new_sid()
    attempt = await answering.attempt(job_state=job_state, state=state,
                                      call_sid=sid if sid_known else None)
    assert [verb.tag for verb in verbs(await answering.answer(attempt.id, sid))] == ["Hangup"]


async def test_an_unknown_attempt_or_another_calls_sid_is_hung_up(answering: Answering) -> None:
    unknown = await answering.answer(uuid.uuid4(), new_sid())
    assert [verb.tag for verb in verbs(unknown)] == ["Hangup"]
    attempt = await answering.attempt(state=AttemptState.PLACED, call_sid=new_sid())
    other = await answering.answer(attempt.id, new_sid())
    assert [verb.tag for verb in verbs(other)] == ["Hangup"]


async def test_the_answer_webhook_needs_twilios_signature(answering: Answering) -> None:
    sid = new_sid()
    attempt = await answering.attempt(state=AttemptState.PLACED, call_sid=sid)
    forged = await answering.answer(attempt.id, sid, signature="bogus")
    assert forged.status_code == 403 and forged.json() == {"error": "Invalid Twilio signature"}
    unsigned = await answering.answer(attempt.id, sid, signature="")
    assert unsigned.status_code == 403
    async with httpx.AsyncClient() as client:
        malformed = await client.post(f"{answering.url}/webhook/outbound-call?attempt_id=x",
                                      data={"CallSid": sid})
    assert malformed.status_code == 422 and "error" in malformed.json()


async def test_a_call_answered_at_the_carrier_streams_with_its_token(harness: Harness) -> None:
    request_id = await harness.submit(ANSWERS)
    await harness.wait_types(request_id, has("call_connected"))
    await carrier_call_ended(harness, ANSWERS)
    async with httpx.AsyncClient() as client:
        calls = (await client.get(f"{harness.carrier_url}/calls")).json()["calls"]
    [call] = calls
    # The carrier asked our answer URL (signed, or we would have refused it)...
    assert call["voice_webhook"]["url"].startswith(f"{harness.url}/webhook/outbound-call?")
    assert call["voice_webhook"]["http_status"] == 200
    # ...and opened the stream it answered, signed, with the token as its only parameter.
    [session] = harness.media.sessions
    assert session.signature_valid and session.path == "/media-stream"
    start = next(m["start"] for m in session.messages if m["event"] == "start")
    assert start["callSid"] == call["sid"]
    assert set(start["customParameters"]) == {"stream_token"}
    grant = StreamTokens(STREAM_TOKEN_SECRET, clock=harness.clock).verify(
        start["customParameters"]["stream_token"], call_sid=call["sid"])
    assert (grant.tenant_id, grant.request_id, grant.attempt) == (harness.tenant, request_id, 1)
    assert grant.direction is CallDirection.OUTBOUND
    assert grant.expires_at > datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
