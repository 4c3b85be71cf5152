"""media-bridge served by uvicorn on a real port (real Postgres and nats-server), wired
to the SIMULATED realtime model and to a fake call-orchestrator that records hang-ups."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import uvicorn
from fastapi import FastAPI, Header
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
class Bridge:
    url: str
    pool: asyncpg.Pool
    app: FastAPI
    model: RealtimeModelSimulator
    hangups: list[tuple[str, str | None]] = field(default_factory=list)

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
    infra: ServerSet, schema: str, *, model_speed: float = 1.0, **overrides: Any
) -> AsyncIterator[Bridge]:
    hangups: list[tuple[str, str | None]] = []
    orchestrator = FastAPI()

    @orchestrator.post("/internal/calls/{call_sid}/hangup")
    async def hang_up(call_sid: str, authorization: str | None = Header(None)) -> dict[str, str]:
        hangups.append((call_sid, authorization))
        return {"status": "ok"}

    orch_server, orch_serving, orch_port = await _serve(orchestrator)
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
                hangups=hangups,
            )
        finally:
            server.should_exit = True
            await serving
    orch_server.should_exit = True
    await orch_serving
