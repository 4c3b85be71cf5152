"""Inbound calls (seed 004's incoming-call webhook) against real Postgres and a real
nats-server: the TwiML answer, the call events, idempotency per CallSid, signatures,
the status callbacks that name the call only by its CallSid, and the tenant: the
owner of the number called (catalog-service's events on the CATALOG stream), else the
default inbound tenant."""

from __future__ import annotations

import asyncio
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import jwt
import nats
import pytest
from call_orchestrator.settings import DEV_INBOUND_TENANT_ID
from flow_harness import STREAM_TOKEN_SECRET
from flow_harness import orchestrator as flow_orchestrator
from orchestrator_catalog_feed import CatalogFeed
from ringbook.bus.reading import subject_events
from ringbook.clock import FakeClock
from ringbook.events import Envelope
from ringbook.stream_tokens import CallDirection, InvalidStreamToken, StreamGrant, StreamTokens
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.waiting import eventually
from twilio.request_validator import RequestValidator

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MEDIA_URL = "ws://127.0.0.1:9/media-stream"  # only echoed in the TwiML, never dialed
CALLER, OUR_NUMBER = "+4915112345678", "+49305550000"
VALIDATOR = RequestValidator("simulated-auth-token")
# All the stream says about the call is its token; media-bridge believes nothing else.
PARAMETERS = {"stream_token"}


def new_sid() -> str:
    return "CA" + uuid.uuid4().hex


@dataclass
class Inbound:
    url: str
    schema: str
    database_url: str
    js: nats.js.JetStreamContext
    client: httpx.AsyncClient

    async def post(
        self, path: str, params: dict[str, str], signature: str | None = None
    ) -> httpx.Response:
        url = f"{self.url}{path}"
        sig = signature if signature is not None else VALIDATOR.compute_signature(url, params)
        return await self.client.post(url, data=params, headers={"X-Twilio-Signature": sig})

    async def incoming(self, call_sid: str, caller: str = CALLER, to: str = OUR_NUMBER
                       ) -> httpx.Response:
        return await self.post(
            "/webhook/incoming-call",
            {
                "CallSid": call_sid,
                "From": caller,
                "To": to,
                "CallStatus": "ringing",
                "FromCountry": "DE",
                "FromCity": "Berlin",
            },
        )

    async def status(self, call_sid: str, status: str, duration: str = "42") -> httpx.Response:
        return await self.post(
            "/webhook/call-status",
            {"CallSid": call_sid, "CallStatus": status, "CallDuration": duration},
        )

    async def call_events(self, session_id: uuid.UUID) -> list[Envelope]:
        return await subject_events(
            self.js, f"ringbook.calls.inbound_call.{session_id}.*", stream="CALLS"
        )

    async def wait_types(self, session_id: uuid.UUID, count: int, timeout: float = 10) -> list[str]:
        """Event types once at least ``count`` arrived and the stream holds every event
        the service has committed for the session. The webhooks commit before they
        answer, and the outbox publishes only committed events, so nothing they did is
        still on its way: an extra event would be in this answer, not merely late."""
        types: list[str] = []

        async def caught_up() -> bool:
            nonlocal types
            published = await self.call_events(session_id)
            types = [e.type for e in published]
            committed = await self.committed(session_id)
            return len(types) >= count and [e.id for e in published] == committed

        await eventually(caught_up, timeout, what=lambda: f"events so far: {types}", poll=0.2)
        return types

    async def committed(self, session_id: uuid.UUID) -> list[uuid.UUID]:
        conn = await asyncpg.connect(self.database_url)
        try:
            rows = await conn.fetch(
                f"select id from {self.schema}.events where aggregate_id = $1 order by version",
                session_id)
        finally:
            await conn.close()
        return [r["id"] for r in rows]

    def catalog(self) -> CatalogFeed:
        """catalog-service's side of the CATALOG stream, applied by this service."""
        return CatalogFeed(self.js, self.database_url, self.schema)

    async def job_tenant(self, session_id: uuid.UUID) -> uuid.UUID:
        conn = await asyncpg.connect(self.database_url)
        try:
            return uuid.UUID(str(await conn.fetchval(
                f"select tenant_id from {self.schema}.call_jobs where request_id = $1",
                session_id)))
        finally:
            await conn.close()

    async def count(self, table: str) -> int:
        conn = await asyncpg.connect(self.database_url)
        try:
            return int(await conn.fetchval(f"select count(*) from {self.schema}.{table}"))
        finally:
            await conn.close()


def orchestrator(infra: ServerSet, schema: str, **overrides: object
                 ) -> AbstractAsyncContextManager[str]:
    # No carrier is dialed here: its URL only has to be well-formed.
    return flow_orchestrator(infra, schema, FakeClock(NOW), "http://127.0.0.1:9",
                             MEDIA_URL.removesuffix("/media-stream"), **overrides)


@asynccontextmanager
async def inbound_service(
    infra: ServerSet, schema: str, **overrides: object
) -> AsyncIterator[Inbound]:
    nc = await nats.connect(infra.nats_url)
    try:
        async with orchestrator(infra, schema, **overrides) as url, httpx.AsyncClient() as c:
            yield Inbound(url, schema, infra.database_url, nc.jetstream(), c)
    finally:
        await nc.close()


@pytest.fixture
async def inbound(
    infra: ServerSet, fresh_schema: str, fresh_streams: None
) -> AsyncIterator[Inbound]:
    async with inbound_service(infra, fresh_schema) as service:
        yield service


@dataclass(frozen=True)
class Answer:
    greeting: str
    voice: str | None
    language: str | None
    stream_url: str | None
    parameters: dict[str, str]

    @property
    def session_id(self) -> uuid.UUID:
        """The session the token names (read here without checking it: see grant)."""
        claims = jwt.decode(self.parameters["stream_token"], options={"verify_signature": False})
        return uuid.UUID(claims["request"])

    def grant(self, call_sid: str) -> StreamGrant:
        """The stream token, verified as media-bridge verifies it."""
        tokens = StreamTokens(STREAM_TOKEN_SECRET, clock=FakeClock(NOW))
        return tokens.verify(self.parameters["stream_token"], call_sid=call_sid)


def read_twiml(response: httpx.Response) -> Answer:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.text)
    assert root.tag == "Response"
    assert [child.tag for child in root] == ["Say", "Connect"]
    say, connect = root
    [stream] = list(connect)
    assert stream.tag == "Stream"
    params = {p.get("name", ""): p.get("value", "") for p in stream if p.tag == "Parameter"}
    return Answer(
        (say.text or "").strip(), say.get("voice"), say.get("language"), stream.get("url"), params
    )


async def test_incoming_call_answers_with_greeting_and_stream(inbound: Inbound) -> None:
    call_sid = new_sid()
    answer = read_twiml(await inbound.incoming(call_sid))
    assert answer.greeting == "Willkommen. Einen Moment bitte…"
    assert (answer.voice, answer.language) == ("alice", "de-DE")
    assert answer.stream_url == MEDIA_URL
    assert set(answer.parameters) == PARAMETERS
    assert answer.session_id.version == 4


async def test_the_stream_token_is_minted_for_this_call_and_session(inbound: Inbound) -> None:
    call_sid = new_sid()
    answer = read_twiml(await inbound.incoming(call_sid))
    grant = answer.grant(call_sid)
    assert (grant.call_sid, grant.request_id) == (call_sid, answer.session_id)
    assert (grant.tenant_id, grant.attempt) == (DEV_INBOUND_TENANT_ID, 1)
    assert grant.direction is CallDirection.INBOUND
    assert grant.line == OUR_NUMBER  # the number called picks the assistant
    assert grant.caller == CALLER  # who the booking functions book for
    # Minted for the greeting's few seconds, not for ever; and for no other call.
    assert grant.expires_at == NOW + timedelta(seconds=120)
    with pytest.raises(InvalidStreamToken, match="wrong_call"):
        answer.grant(new_sid())
    # A retried webhook gets a fresh token for the same session: each opens one stream.
    retry = read_twiml(await inbound.incoming(call_sid)).grant(call_sid)
    assert retry.request_id == grant.request_id and retry.token_id != grant.token_id


async def test_incoming_call_emits_started_then_connected(inbound: Inbound) -> None:
    call_sid = new_sid()
    session_id = read_twiml(await inbound.incoming(call_sid)).session_id
    assert await inbound.wait_types(session_id, 2) == ["call_started", "call_connected"]
    started, connected = await inbound.call_events(session_id)
    assert [started.version, connected.version] == [1, 2]
    for event in (started, connected):
        assert event.aggregate == "inbound_call" and event.aggregate_id == session_id
        assert event.correlation_id == session_id  # the conversation's request_id
        assert event.tenant_id == DEV_INBOUND_TENANT_ID
    # The caller's number, and the line it came in on (the business's, for the call log).
    assert started.data.model_dump() == {"attempt": 1, "call_sid": call_sid, "number": CALLER,
                                         "line": OUR_NUMBER}
    assert connected.data.model_dump() == {"attempt": 1, "call_sid": call_sid}


async def test_caller_number_is_normalized_to_e164(inbound: Inbound) -> None:
    answer = read_twiml(await inbound.incoming(new_sid(), caller="+49 151 1234 5678"))
    await inbound.wait_types(answer.session_id, 2)
    started = (await inbound.call_events(answer.session_id))[0]
    assert started.data.number == CALLER  # type: ignore[attr-defined]


async def test_withheld_caller_id_is_still_answered(inbound: Inbound) -> None:
    answer = read_twiml(await inbound.incoming(new_sid(), caller="anonymous"))
    assert await inbound.wait_types(answer.session_id, 2) == ["call_started", "call_connected"]
    started = (await inbound.call_events(answer.session_id))[0]
    assert started.data.number == "anonymous"  # type: ignore[attr-defined]


async def test_retried_webhook_answers_the_same_session_and_emits_nothing_new(
    inbound: Inbound,
) -> None:
    call_sid = new_sid()
    first = await inbound.incoming(call_sid)
    session_id = read_twiml(first).session_id
    await inbound.wait_types(session_id, 2)
    retry = await inbound.incoming(call_sid)
    again = read_twiml(retry)
    assert again.session_id == session_id
    # The same answer but for its token: every delivery's TwiML admits its one stream.
    assert (again.greeting, again.stream_url) == (read_twiml(first).greeting, MEDIA_URL)
    assert await inbound.wait_types(session_id, 2) == ["call_started", "call_connected"]
    assert await inbound.count("inbound_calls") == 1
    assert await inbound.count("call_jobs") == 1


async def test_concurrent_deliveries_of_one_call_share_one_session(inbound: Inbound) -> None:
    call_sid = new_sid()
    answers = await asyncio.gather(*(inbound.incoming(call_sid) for _ in range(5)))
    sessions = {read_twiml(a).session_id for a in answers}
    assert len(sessions) == 1
    [session_id] = sessions
    assert await inbound.wait_types(session_id, 2) == ["call_started", "call_connected"]
    assert await inbound.count("call_attempts") == 1


async def test_incoming_call_needs_a_valid_signature(inbound: Inbound) -> None:
    params = {"CallSid": new_sid(), "From": CALLER, "To": OUR_NUMBER, "CallStatus": "ringing"}
    forged = await inbound.post("/webhook/incoming-call", params, signature="bogus")
    assert forged.status_code == 403 and forged.json() == {"error": "Invalid Twilio signature"}
    # Signed for another URL (e.g. the one seen behind a proxy): refused as well.
    other = VALIDATOR.compute_signature("http://internal:8001/webhook/incoming-call", params)
    assert (await inbound.post("/webhook/incoming-call", params, other)).status_code == 403
    unsigned = await inbound.client.post(f"{inbound.url}/webhook/incoming-call", data=params)
    assert unsigned.status_code == 403
    assert await inbound.count("inbound_calls") == 0
    assert await inbound.count("call_jobs") == 0


async def test_incoming_call_without_call_sid_is_refused(inbound: Inbound) -> None:
    response = await inbound.post("/webhook/incoming-call", {"From": CALLER})
    assert response.status_code == 400
    assert await inbound.count("call_jobs") == 0


async def test_status_callbacks_without_attempt_id_find_the_inbound_call(
    inbound: Inbound,
) -> None:
    call_sid = new_sid()
    session_id = read_twiml(await inbound.incoming(call_sid)).session_id
    await inbound.wait_types(session_id, 2)
    # Twilio's callbacks for a number's calls carry no attempt id: found by CallSid.
    # A late in-progress changes nothing; completed closes the attempt (call_completed
    # itself comes from the conversation in media-bridge); a repeat is harmless.
    for status in ("in-progress", "completed", "completed"):
        assert (await inbound.status(call_sid, status)).status_code == 200
    assert await inbound.wait_types(session_id, 2) == ["call_started", "call_connected"]


async def test_status_callback_of_an_unknown_call_sid_is_404(inbound: Inbound) -> None:
    response = await inbound.status(new_sid(), "completed")
    assert response.status_code == 404


async def test_status_callback_without_attempt_id_needs_a_valid_signature(
    inbound: Inbound,
) -> None:
    call_sid = new_sid()
    session_id = read_twiml(await inbound.incoming(call_sid)).session_id
    params = {"CallSid": call_sid, "CallStatus": "completed", "CallDuration": "1"}
    forged = await inbound.post("/webhook/call-status", params, signature="bogus")
    assert forged.status_code == 403
    assert await inbound.wait_types(session_id, 2) == ["call_started", "call_connected"]


async def test_inbound_settings_shape_the_answer(
    infra: ServerSet,
    fresh_schema: str,
    fresh_streams: None,
) -> None:
    tenant = uuid.uuid4()
    async with inbound_service(
        infra,
        fresh_schema,
        inbound_tenant_id=tenant,
        inbound_assistant="spa-desk",
        inbound_greeting="Benvenuto. Un momento per favore...",
        inbound_voice="Polly.Bianca",
        inbound_language="it-IT",
    ) as service:
        answer = read_twiml(await service.incoming(new_sid()))
        assert answer.greeting == "Benvenuto. Un momento per favore..."
        assert (answer.voice, answer.language) == ("Polly.Bianca", "it-IT")
        await service.wait_types(answer.session_id, 2)
        events = await service.call_events(answer.session_id)
        assert {e.tenant_id for e in events} == {tenant}
        assert answer.grant(events[0].data.call_sid).tenant_id == tenant  # type: ignore[attr-defined]


async def test_a_call_to_a_tenants_number_is_that_tenants(inbound: Inbound) -> None:
    tenant, number_id = uuid.uuid4(), uuid.uuid4()
    catalog = inbound.catalog()
    await catalog.send(catalog.number(tenant, number_id, OUR_NUMBER))
    call_sid = new_sid()
    # Twilio sends To as the number was dialled; it is the line once in E.164.
    answer = read_twiml(await inbound.incoming(call_sid, to="+49 30 5550000"))
    grant = answer.grant(call_sid)
    assert (grant.tenant_id, grant.line) == (tenant, OUR_NUMBER)
    await inbound.wait_types(answer.session_id, 2)
    assert await inbound.job_tenant(answer.session_id) == tenant
    assert {e.tenant_id for e in await inbound.call_events(answer.session_id)} == {tenant}
    # A retried webhook answers the same session, of the same tenant.
    assert read_twiml(await inbound.incoming(call_sid)).grant(call_sid).tenant_id == tenant


async def test_a_call_to_a_clients_number_is_the_clients_tenants(inbound: Inbound) -> None:
    tenant, client_number = uuid.uuid4(), "+49305550180"
    catalog = inbound.catalog()
    await catalog.send(catalog.client(tenant, uuid.uuid4(), client_number))
    call_sid = new_sid()
    grant = read_twiml(await inbound.incoming(call_sid, to=client_number)).grant(call_sid)
    assert (grant.tenant_id, grant.line) == (tenant, client_number)


async def test_a_number_nobody_configured_keeps_the_inbound_tenant(inbound: Inbound) -> None:
    tenant, number_id = uuid.uuid4(), uuid.uuid4()
    catalog = inbound.catalog()
    # Configured, then released: nobody's number any more.
    await catalog.send(catalog.number(tenant, number_id, OUR_NUMBER),
                       catalog.released(tenant, number_id, OUR_NUMBER, version=2))
    call_sid = new_sid()
    answer = read_twiml(await inbound.incoming(call_sid))
    assert answer.grant(call_sid).tenant_id == DEV_INBOUND_TENANT_ID
    await inbound.wait_types(answer.session_id, 2)
    assert await inbound.job_tenant(answer.session_id) == DEV_INBOUND_TENANT_ID


async def test_a_call_without_a_usable_to_names_no_line(inbound: Inbound) -> None:
    call_sid = new_sid()
    grant = read_twiml(await inbound.incoming(call_sid, to="")).grant(call_sid)
    assert (grant.tenant_id, grant.line) == (DEV_INBOUND_TENANT_ID, None)
