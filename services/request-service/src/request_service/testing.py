"""Helpers for request-service's tests (and any e2e test driving the gateway):
the scenario vocabulary, with no pytest dependency and no dev tools (tests wait with
``ringbook_devtools.testing.waiting.eventually``). Fixtures live in the tests' conftest.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from nats.js import JetStreamContext
from ringbook.clock import FakeClock
from ringbook.contracts.catalogue import parse_envelope
from ringbook.events import Envelope, EventData, new_event
from ringbook.runtime import ServiceRuntime

# Cheap argon2 parameters: the tests exercise the flow, not the hash's strength.
FAST_HASHING: dict[str, Any] = {
    "password_time_cost": 1,
    "password_memory_kib": 1024,
    "password_parallelism": 1,
}



def seed_body(request_id: uuid.UUID, user_id: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    """Seed 000's sample body, with a callback number that is actually valid."""
    body: dict[str, Any] = {
        "request_id": str(request_id),
        "user_id": str(user_id),
        "title": "Zahnarzttermin buchen",
        "description": "Ich brauche einen Termin für eine Zahnreinigung",
        "callback_number": "+49 30 5550100",
        "number_to_call": "+49 987 654321",
        "preferred_time": "nächste Woche, Montag 10-12 Uhr",
        "user_profile": {
            "username": "Max Mustermann",
            "street": "Musterstraße",
            "house_number": "123",
            "postal_code": "12345",
            "city": "Berlin",
            "country": "Germany",
        },
    }
    body.update(overrides)
    return body


class Api:
    """Thin helpers over the HTTP API, so tests read as the scenario they check."""

    def __init__(self, client: httpx.AsyncClient, app: FastAPI) -> None:
        self.client, self.app = client, app

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime

    async def register(self, email: str | None = None, password: str = "correct horse") -> User:
        email = email or f"user-{uuid.uuid4().hex[:8]}@example.com"
        response = await self.client.post(
            "/api/auth/register", json={"email": email, "password": password, "name": "Max"}
        )
        assert response.status_code == 201, response.text
        body = response.json()
        principal = self.runtime.tokens.verify(body["token"])
        return User(
            id=uuid.UUID(body["user"]["id"]),
            tenant_id=principal.tenant_id,
            token=body["token"],
            email=email,
        )

    async def submit(self, user: User, body: dict[str, Any]) -> httpx.Response:
        return await self.client.post(
            "/api/process-request", json=body, headers=user.headers
        )

    async def new_request(self, user: User, **overrides: Any) -> uuid.UUID:
        request_id = uuid.uuid4()
        response = await self.submit(user, seed_body(request_id, user.id, **overrides))
        assert response.status_code == 202, response.text
        return request_id

    async def get(self, user: User, request_id: uuid.UUID) -> dict[str, Any]:
        response = await self.client.get(f"/api/requests/{request_id}", headers=user.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def count(self, table: str) -> int:
        return int(await self.runtime.pool.fetchval(f"select count(*) from {table}"))

    async def outbox_drained(self) -> bool:
        """Every committed event is published (await it with ``eventually``: waiting is
        the test suite's, ``ringbook_devtools.testing.waiting``)."""
        return await self.count("outbox where published_at is null") == 0


class User:
    def __init__(self, id: uuid.UUID, tenant_id: uuid.UUID, token: str, email: str) -> None:
        self.id, self.tenant_id, self.token, self.email = id, tenant_id, token, email

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Bus:
    """An outside NATS client: reads the REQUESTS stream, publishes CALLS events."""

    def __init__(self, js: JetStreamContext, clock: FakeClock) -> None:
        self.js, self.clock = js, clock

    async def stream_events(self, stream: str = "REQUESTS") -> list[Envelope]:
        """Every message in the stream, via an ephemeral pull consumer."""
        info = await self.js.stream_info(stream)
        if info.state.messages == 0:
            return []
        sub = await self.js.pull_subscribe("ringbook.>", stream=stream)
        try:
            msgs = await sub.fetch(info.state.messages, timeout=5)
        finally:
            await sub.unsubscribe()
        return [parse_envelope(m.data) for m in msgs]

    def call_event(
        self, data: EventData, *, request_id: uuid.UUID, version: int, tenant_id: uuid.UUID
    ) -> Envelope:
        return new_event(
            data,
            aggregate_id=request_id,
            version=version,
            tenant_id=tenant_id,
            correlation_id=request_id,
            clock=self.clock,
        )

    async def publish(self, event: Envelope, msg_id: str | None = None) -> None:
        await self.js.publish(
            event.subject, event.to_json(), headers={"Nats-Msg-Id": msg_id or str(event.id)}
        )
