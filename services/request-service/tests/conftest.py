"""request-service test fixtures: the real app in-process against real Postgres and NATS.

``app`` runs the whole lifespan (migrations, pool, NATS, relay, CALLS consumer, timeline
listener) in a fresh schema with fresh streams; ``api`` drives it over ASGI; ``bus`` is
an independent NATS client that reads what the service published and publishes what
call-orchestrator would.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import nats
import pytest
from fastapi import FastAPI
from nats.aio.client import Client as NATS
from request_service.entrypoints.app import create_app
from request_service.settings import RequestServiceSettings
from request_service.testing import FAST_HASHING, Api, Bus
from ringbook.clock import FakeClock
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.plugin import settings_for

# pytest runs with --import-mode=importlib: this folder goes on the import path so the
# tests share ``loopback``.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from loopback import served_on_loopback  # noqa: E402


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 11, 24, 9, 0, tzinfo=UTC))


@pytest.fixture
def settings(infra: ServerSet, fresh_schema: str) -> RequestServiceSettings:
    return settings_for(
        infra,
        RequestServiceSettings,
        service="request-service",
        schema=fresh_schema,
        sse_ping_seconds=1.0,
        **FAST_HASHING,
    )


@pytest.fixture
async def app(
    settings: RequestServiceSettings, clock: FakeClock, fresh_streams: None
) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock)
    async with application.router.lifespan_context(application):
        await application.state.runtime.wait_bus_ready(10)
        yield application


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client, app)


@pytest.fixture
async def bus(infra: ServerSet, app: FastAPI, clock: FakeClock) -> AsyncIterator[Bus]:
    nc: NATS = await nats.connect(infra.nats_url)
    try:
        yield Bus(nc.jetstream(), clock)
    finally:
        await nc.close()


@pytest.fixture
async def live_url(app: FastAPI) -> AsyncIterator[str]:
    """The app behind a real uvicorn on a loopback port: httpx's ASGI transport buffers
    whole responses, so a never-ending SSE stream needs a real socket."""
    async with served_on_loopback(app) as url:
        yield url
