"""call-orchestrator against real Postgres, a real nats-server and the simulated carrier
(which speaks Twilio's REST API, signed callbacks and Media Streams): the harness the
flow tests share."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

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
from ringbook_simulators.carrier.testing import MediaStreamRecorder, serve_app

MONDAY_10_BERLIN = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SATURDAY_10_BERLIN = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
ANSWERS, BUSY, NO_ANSWER = "+49305550100", "+49305550101", "+49305550102"
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
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            types = [e.type for e in await self.call_events(request_id)]
            if done(types):
                return types
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timeline so far: {types}")
            await asyncio.sleep(0.2)


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
    for _ in range(100):
        async with httpx.AsyncClient() as client:
            calls = (await client.get(f"{harness.carrier_url}/calls")).json()["calls"]
        if any(c["to"] == number and c["status"] == "completed" for c in calls):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the carrier never ended the call")
