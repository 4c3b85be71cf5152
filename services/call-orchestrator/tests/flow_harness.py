"""call-orchestrator against real Postgres, a real nats-server and the simulated carrier
(which speaks Twilio's REST API, signed callbacks and Media Streams): the harness the
flow tests share."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import httpx
import nats
from call_orchestrator.entrypoints.app import create_app
from call_orchestrator.settings import OrchestratorSettings
from ringbook.bus.reading import subject_events
from ringbook.clock import FakeClock
from ringbook.contracts.calls import CONVERSATION, CallCompleted
from ringbook.contracts.requests import RequestCanceled, RequestReceived, UserProfile
from ringbook.events import Envelope, EventData, new_event
from ringbook_devtools.processes import free_port
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.plugin import settings_for
from ringbook_devtools.testing.waiting import eventually
from ringbook_simulators.carrier.testing import MediaStreamRecorder, serve_app

MONDAY_10_BERLIN = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SATURDAY_10_BERLIN = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
ANSWERS, BUSY, NO_ANSWER = "+49305550100", "+49305550101", "+49305550102"
CALL_RESULTS = "call-orchestrator-call-results"  # the durable of conversations' reports
# Shared with media-bridge in a deployment: it verifies the tokens we mint with it.
STREAM_TOKEN_SECRET = "test-media-stream-token-secret-for-call-orchestrator"


@dataclass
class Harness:
    url: str
    clock: FakeClock
    js: nats.js.JetStreamContext
    media: MediaStreamRecorder
    carrier_url: str
    tenant: uuid.UUID
    database_url: str = ""
    schema: str = ""  # the orchestrator's schema: what it has committed is read there

    async def submit(self, number: str) -> uuid.UUID:
        request_id = uuid.uuid4()
        await self.publish(self.event(
            RequestReceived(
                user_id=uuid.uuid4(),
                title="Zahnreinigung",
                description="Termin",
                callback_number="+491701234567",
                number_to_call=number,
                preferred_time="Montag 10-12",
                user_profile=UserProfile(),
            ),
            request_id, aggregate_id=request_id, version=1,
        ))
        return request_id

    async def cancel(self, request_id: uuid.UUID) -> None:
        await self.publish(self.event(RequestCanceled(), request_id,
                                      aggregate_id=request_id, version=2))

    async def conversation_ended(self, request_id: uuid.UUID, outcome: str,
                                 attempt: int = 1) -> Envelope:
        """What media-bridge appends when a conversation ends (its own aggregate,
        correlated to the request)."""
        event = self.event(
            CallCompleted(attempt=attempt, call_sid="CA-conversation", duration_seconds=12.0,
                          outcome=outcome),
            request_id, aggregate_id=uuid.uuid4(), version=1, aggregate=CONVERSATION,
        )
        await self.publish(event)
        return event

    def event(self, data: EventData, request_id: uuid.UUID, *, aggregate_id: uuid.UUID,
              version: int, aggregate: str | None = None) -> Envelope:
        """An event of this harness's tenant, correlated to ``request_id``."""
        return new_event(data, aggregate_id=aggregate_id, version=version,
                         tenant_id=self.tenant, correlation_id=request_id,
                         clock=self.clock, aggregate=aggregate)

    async def publish(self, event: Envelope) -> None:
        await self.js.publish(
            event.subject, event.to_json(), headers={"Nats-Msg-Id": str(event.id)}
        )

    async def call_events(self, request_id: uuid.UUID) -> list[Envelope]:
        return await subject_events(
            self.js, f"ringbook.calls.call_job.{request_id}.*", stream="CALLS"
        )

    async def wait_types(
        self, request_id: uuid.UUID, done: Callable[[list[str]], bool], timeout: float = 20
    ) -> list[str]:
        types: list[str] = []

        async def reached() -> bool:
            nonlocal types
            types = [e.type for e in await self.call_events(request_id)]
            return done(types)

        await eventually(reached, timeout, what=lambda: f"timeline so far: {types}", poll=0.2)
        return types

    # --- what the orchestrator has committed: the proof of "nothing else happened" ----------

    async def fetch(self, query: str, *args: object) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url,
                                     server_settings={"search_path": self.schema})
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    async def settled(self, request_id: uuid.UUID) -> list[Envelope]:
        """The request's call-job events, once the stream holds every one the
        orchestrator has committed. Events reach the stream only from the outbox, which
        holds only committed events, so from then on nothing the orchestrator has done
        is still on its way: a test's "no other event" rests on what was committed
        (after a positive wait for the step under test), never on how long it waited."""
        seen: list[Envelope] = []

        async def caught_up() -> bool:
            nonlocal seen
            committed = [r["id"] for r in await self.fetch(
                "select id from events where aggregate_id = $1 order by version", request_id)]
            seen = await self.call_events(request_id)
            return [e.id for e in seen] == committed

        await eventually(caught_up, what=lambda: f"stream so far: {[e.type for e in seen]}",
                         poll=0.2)
        return seen

    async def handled(self, event: Envelope, consumer: str = CALL_RESULTS) -> None:
        """Wait until ``consumer`` has applied ``event``: its inbox row commits in the
        same transaction as the handler's effects."""

        async def claimed() -> bool:
            return bool(await self.fetch(
                "select 1 from inbox where consumer = $1 and event_id = $2", consumer, event.id))

        await eventually(claimed, what=f"{consumer} handling {event.type}", poll=0.1)

    async def attempt_states(self, request_id: uuid.UUID) -> list[str]:
        rows = await self.fetch(
            "select state from call_attempts where request_id = $1 order by attempt", request_id)
        return [r["state"] for r in rows]

    async def attempts_ended(self, request_id: uuid.UUID, count: int = 1) -> None:
        """Wait until the carrier's end of the first ``count`` attempts has been applied."""

        async def ended() -> bool:
            return (await self.attempt_states(request_id))[:count] == ["ended"] * count

        await eventually(ended, what=f"{count} ended attempt(s)", poll=0.1)

    async def dialer_went_round(self) -> None:
        """Wait until the dialer has been once round its loop (claim due timers, then its
        sweeps) since this call began, under the fake clock as it stands: "nothing
        happened meanwhile" is then asserted, not waited for. Two sentinel requests
        (the callee must be open), the second submitted once the first was dialed: the
        first's timer is claimed by a round whose claim began after this call did; the
        second's only by a later round, which begins after that one's sweeps ended."""
        for _ in range(2):
            sentinel = await self.submit(ANSWERS)
            await self.wait_types(sentinel, has("call_started"))

    async def job_state(self, request_id: uuid.UUID) -> str:
        [row] = await self.fetch("select state from call_jobs where request_id = $1", request_id)
        return str(row["state"])

    async def has_timer(self, request_id: uuid.UUID) -> bool:
        return bool(await self.fetch("select 1 from call_timers where request_id = $1",
                                     request_id))


@asynccontextmanager
async def orchestrator(
    infra: ServerSet,
    schema: str,
    clock: FakeClock,
    carrier_url: str,
    media_url: str,
    **overrides: object,
) -> AsyncIterator[str]:
    """The orchestrator on a free port. The carrier reaches it there, unless
    ``public_base_url`` (among ``overrides``) names a proxy in front of it."""
    port = free_port()
    defaults: dict[str, object] = {
        "public_base_url": f"http://127.0.0.1:{port}",
        "media_stream_url": f"{media_url}/media-stream",
        "twilio_api_base_url": carrier_url,
        "call_retry_delay_seconds": 0,
        # Pacing runs on the service's clock, which these tests hold still: a bucket that
        # never refills must be deep enough for every dial of a test.
        "carrier_dial_burst": 1000,
        "media_stream_token_secret": STREAM_TOKEN_SECRET,
        # These tests ring one number far more than 10 times a minute; the limit's own
        # test turns it on.
        "incoming_call_rate_limit": "",
    }
    settings = settings_for(
        infra,
        OrchestratorSettings,
        service="call-orchestrator",
        schema=schema,
        **{**defaults, **overrides},
    )
    app = create_app(settings, clock=clock)
    async with serve_app(app, port=port) as url:
        await app.state.runtime.wait_bus_ready(10)
        yield url


def has(*wanted: str) -> Callable[[list[str]], bool]:
    return lambda types: all(w in types for w in wanted)


async def carrier_call_ended(harness: Harness, number: str) -> None:
    async def ended() -> bool:
        async with httpx.AsyncClient() as client:
            calls = (await client.get(f"{harness.carrier_url}/calls")).json()["calls"]
        return any(c["to"] == number and c["status"] == "completed" for c in calls)

    await eventually(ended, what="the carrier ending the call", poll=0.1)
