"""request-service test fixtures: the real app in-process against real Postgres and NATS.

``app`` runs the whole lifespan (migrations, pool, NATS, relay, CALLS consumer, timeline
listener) in a fresh schema with fresh streams; ``api`` drives it over ASGI; ``bus`` is
an independent NATS client that reads what the service published and publishes what
call-orchestrator would.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import nats
import pytest
import uvicorn
from fastapi import FastAPI
from nats.aio.client import Client as NATS
from request_service.entrypoints.app import create_app
from request_service.settings import RequestServiceSettings
from request_service.testing import FAST_HASHING, Api, Bus
from ringbook.clock import FakeClock
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.plugin import settings_for
from ringbook_devtools.testing.waiting import eventually


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
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, lifespan="off", log_config=None, access_log=False, timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))

    async def started() -> bool:
        return server.started

    await eventually(started, what="uvicorn started")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()
