"""analytics-service's tests' harness: the service in-process on the real Postgres and
nats-server with an HTTP client (``running_analytics``, for every test module here),
and the call log's helpers to call it as a tenant or an API key."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from analytics_service.entrypoints.app import create_app
from analytics_service.settings import AnalyticsSettings
from analytics_service.testing import client_created, publish
from fastapi import FastAPI
from nats.js import JetStreamContext
from ringbook.auth import Principal
from ringbook.clock import Clock, FakeClock
from ringbook.runtime import ServiceRuntime
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.plugin import settings_for
from ringbook_devtools.testing.waiting import eventually

# In the past on purpose: PyJWT checks a token's "iat" against the wall clock.
CALL_LOG_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@asynccontextmanager
async def running_analytics(
    infra: ServerSet, schema: str, clock: Clock,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, AnalyticsSettings]]:
    """analytics-service started in ``schema`` (its lifespan: migrations, streams,
    consumers, relay), its bus ready, and an HTTP client on it."""
    settings = settings_for(infra, AnalyticsSettings, service="analytics-service",
                            schema=schema)
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await app.state.runtime.wait_bus_ready(10)
            yield app, client, settings


@dataclass
class InProcessAnalytics:
    """The started app and its client, with its runtime and JetStream at hand."""

    app: FastAPI
    client: httpx.AsyncClient

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime

    @property
    def js(self) -> JetStreamContext:
        assert self.runtime.js is not None
        return self.runtime.js


@dataclass
class CallLogService(InProcessAnalytics):
    clock: FakeClock

    def auth(self, tenant_id: uuid.UUID) -> dict[str, str]:
        principal = Principal(user_id=uuid.uuid4(), tenant_id=tenant_id, email="a@b.c", name=None)
        return {"Authorization": f"Bearer {self.runtime.tokens.issue(principal)}"}

    async def get(self, tenant_id: uuid.UUID, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params, headers=self.auth(tenant_id))

    async def ok(self, tenant_id: uuid.UUID, path: str, **params: Any) -> Any:
        response = await self.get(tenant_id, path, **params)
        assert response.status_code == 200, response.text
        return response.json()

    async def call_detail(self, tenant_id: uuid.UUID, call_id: uuid.UUID) -> dict[str, Any]:
        body: dict[str, Any] = await self.ok(tenant_id, f"/api/calls/{call_id}")
        return body["call"]

    async def wait_call(self, tenant_id: uuid.UUID, call_id: uuid.UUID,
                        until: Any, what: str) -> dict[str, Any]:
        last: dict[str, Any] = {}

        async def ready() -> bool:
            nonlocal last
            response = await self.get(tenant_id, f"/api/calls/{call_id}")
            if response.status_code != 200:
                return False
            last = response.json()["call"]
            return bool(until(last))

        await eventually(ready, 20, what=lambda: f"{what}; last: {last}", poll=0.05)
        return last

    async def add_client(self, tenant_id: uuid.UUID, name: str = "Dr. Mike's Dental",
                         phone: str | None = None) -> uuid.UUID:
        """A catalog client, published on CATALOG and awaited in the projection."""
        client_id = uuid.uuid4()
        await publish(self.js, client_created(
            client_id=client_id, tenant_id=tenant_id, name=name,
            phone=phone or f"+4930{uuid.uuid4().int % 10**7:07d}", clock=self.clock))

        async def projected() -> bool:
            return bool(await self.runtime.pool.fetchval(
                "select exists (select 1 from clients where id = $1)", client_id))

        await eventually(projected, 20, what=f"client {client_id} projected", poll=0.05)
        return client_id

    async def new_key(self, tenant_id: uuid.UUID, name: str = "agent") -> dict[str, Any]:
        response = await self.client.post("/api/api-keys", json={"name": name},
                                          headers=self.auth(tenant_id))
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


SEED_BODY: dict[str, Any] = {
    "caller_phone": "+1-555-0200",
    "caller_name": "John Smith",
    "duration_seconds": 45.5,
    "stt_latency_ms": 150,
    "llm_latency_ms": 300,
    "tts_latency_ms": 200,
    "transcript": "Customer: Hello, I'd like to schedule an appointment...",
    "sentiment": "POSITIVE",
    "success": True,
    "recording_url": "https://storage.example.com/call-123.wav",
    "notes": "Customer interested in cleaning appointment",
}


async def post_call(call_log: CallLogService, key: str | bytes | None, **body: Any) -> Any:
    headers = {"X-API-Key": key} if key is not None else {}
    return await call_log.client.post("/api/calls", json=body, headers=headers)


async def events_stored(call_log: CallLogService) -> int:
    return int(await call_log.runtime.pool.fetchval("select count(*) from events"))
