"""media-bridge served by uvicorn on a real port (real Postgres and nats-server), wired
to the SIMULATED realtime model and to a fake call-orchestrator (a real HTTP server)
that records hang-ups, and can be told to hold them or to refuse them."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import uvicorn
from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse
from media_bridge.entrypoints.app import create_app
from media_bridge.settings import MediaBridgeSettings
from ringbook.web.serve import uvicorn_options
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.plugin import settings_for
from ringbook_devtools.testing.waiting import eventually
from ringbook_simulators.realtime import RealtimeModelSimulator

INTERNAL_TOKEN = "test-internal-token-for-media-bridge"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class FakeOrchestrator:
    """call-orchestrator's ``/internal/calls/{sid}/hangup``. Each request is recorded as
    (call sid, Authorization) when it arrives; then ``on_hangup`` runs (if set), the
    request waits while ``answering`` is clear (a stalled orchestrator), and is answered
    with ``status``."""

    hangups: list[tuple[str, str | None]] = field(default_factory=list)
    answering: asyncio.Event = field(default_factory=asyncio.Event)
    status: int = 200
    on_hangup: Callable[[], Awaitable[None]] | None = None

    def __post_init__(self) -> None:
        self.answering.set()

    def app(self) -> FastAPI:
        orchestrator = FastAPI()

        @orchestrator.post("/internal/calls/{call_sid}/hangup")
        async def hang_up(
            call_sid: str, authorization: str | None = Header(None)
        ) -> JSONResponse:
            self.hangups.append((call_sid, authorization))
            if self.on_hangup is not None:
                await self.on_hangup()
            await self.answering.wait()
            return JSONResponse({"status": "ok"}, status_code=self.status)

        return orchestrator


@dataclass
class Bridge:
    url: str
    pool: asyncpg.Pool
    app: FastAPI
    model: RealtimeModelSimulator
    orchestrator: FakeOrchestrator

    @property
    def hangups(self) -> list[tuple[str, str | None]]:
        return self.orchestrator.hangups

    async def session_row(self, stream_sid: str) -> dict[str, Any]:
        """The media_sessions row once the stream has ended."""
        row: asyncpg.Record | None = None

        async def ended() -> bool:
            nonlocal row
            row = await self.pool.fetchrow(
                "select * from media_sessions where stream_sid = $1", stream_sid
            )
            return row is not None and row["ended_at"] is not None

        await eventually(ended)
        assert row is not None
        return dict(row)


async def _serve(
    app: FastAPI, settings: MediaBridgeSettings | None = None
) -> tuple[uvicorn.Server, asyncio.Task[None], int]:
    """``app`` on a free port; with ``settings``, on the server production runs."""
    port = free_port()
    options: dict[str, Any] = (
        uvicorn_options(settings) if settings is not None else {"log_config": None})
    options.update(host="127.0.0.1", port=port, lifespan="on")
    server = uvicorn.Server(uvicorn.Config(app, **options))
    serving = asyncio.create_task(server.serve())

    async def started() -> bool:
        if serving.done():
            raise RuntimeError("uvicorn exited during start-up") from serving.exception()
        return bool(server.started)

    await eventually(started)
    return server, serving, port


async def run_bridge(
    infra: ServerSet,
    schema: str,
    *,
    model_speed: float = 1.0,
    orchestrator: FakeOrchestrator | None = None,
    **overrides: Any,
) -> AsyncIterator[Bridge]:
    orchestrator = orchestrator or FakeOrchestrator()
    orch_server, orch_serving, orch_port = await _serve(orchestrator.app())
    async with RealtimeModelSimulator(speed=model_speed) as model:
        values: dict[str, Any] = {
            "media_receive_timeout_seconds": 2.0,
            "openai_base_url": model.base_url,
            "orchestrator_url": f"http://127.0.0.1:{orch_port}",
            "internal_token": INTERNAL_TOKEN,
            **overrides,
        }
        settings = settings_for(
            infra, MediaBridgeSettings, service="media-bridge", schema=schema, **values
        )
        app = create_app(settings)
        server, serving, port = await _serve(app, settings)
        await app.state.runtime.wait_bus_ready(10)
        try:
            yield Bridge(
                url=f"ws://127.0.0.1:{port}/media-stream",
                pool=app.state.runtime.pool,
                app=app,
                model=model,
                orchestrator=orchestrator,
            )
        finally:
            server.should_exit = True
            await serving
    orchestrator.answering.set()  # a held hang-up must not keep its server from stopping
    orch_server.should_exit = True
    await orch_serving


# The same, as ``async with``: leaving the block stops the bridge, and with it every
# call's end has run to completion.
bridge_serving = contextlib.asynccontextmanager(run_bridge)
