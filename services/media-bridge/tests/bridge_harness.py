"""media-bridge served by uvicorn on a real port (real Postgres and nats-server), wired
to the SIMULATED realtime model and to a fake call-orchestrator (a real HTTP server)
that records hang-ups, and can be told to hold them or to refuse them.

The bridge admits a stream only as Twilio would open it for one of our calls: the
upgrade signed with the auth token over the stream URL, and a stream token (what
call-orchestrator mints) in ``start``; ``Bridge.connect`` and ``stream_token`` are both.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import orjson
import pytest
import uvicorn
from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse
from media_bridge.entrypoints.app import create_app
from media_bridge.settings import MediaBridgeSettings
from ringbook.clock import SystemClock
from ringbook.stream_tokens import CallDirection, StreamTokens
from ringbook.web.serve import uvicorn_options
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.plugin import settings_for
from ringbook_devtools.testing.waiting import eventually
from ringbook_simulators.realtime import RealtimeModelSimulator
from ringbook_simulators.realtime.session import RealtimeSession
from twilio.request_validator import RequestValidator
from websockets.asyncio.client import connect

INTERNAL_TOKEN = "test-internal-token-for-media-bridge"
TWILIO_AUTH_TOKEN = "test-twilio-auth-token-for-media-bridge"
STREAM_TOKEN_SECRET = "test-media-stream-token-secret-for-media-bridge"
DEFAULT_TENANT = uuid.UUID("0195f7a2-0000-7000-8000-00000000aaaa")


def twilio_signature(url: str, auth_token: str = TWILIO_AUTH_TOKEN) -> str:
    """``X-Twilio-Signature`` of a websocket upgrade: over the URL alone, no parameters."""
    return str(RequestValidator(auth_token).compute_signature(url, {}))


def stream_token(call_sid: str, parameters: dict[str, str] | None = None, *,
                 tokens: StreamTokens | None = None) -> str:
    """What call-orchestrator would mint for ``call_sid``, from the old-style parameters
    (direction, request_id, tenant_id, attempt, line, caller; inbound, a fresh session, the test
    tenant, 1 and no line when absent)."""
    p = parameters or {}
    minter = tokens or StreamTokens(STREAM_TOKEN_SECRET, clock=SystemClock())
    return minter.mint(
        call_sid=call_sid,
        tenant_id=uuid.UUID(p.get("tenant_id") or str(DEFAULT_TENANT)),
        request_id=uuid.UUID(p.get("request_id") or str(uuid.uuid4())),
        attempt=int(p.get("attempt") or "1"),
        direction=CallDirection(p.get("direction") or "inbound"),
        line=p.get("line"),
        caller=p.get("caller"),
    )


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
    orchestrator_url: str = ""

    @property
    def hangups(self) -> list[tuple[str, str | None]]:
        return self.orchestrator.hangups

    def connect(self, signature: str | None = None) -> connect:
        """A websocket to the bridge, its upgrade signed like Twilio's (or with
        ``signature``; "" sends none)."""
        sig = twilio_signature(self.url) if signature is None else signature
        return connect(self.url, additional_headers={"X-Twilio-Signature": sig} if sig else {})

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
    app: FastAPI, settings: MediaBridgeSettings | None = None, port: int | None = None
) -> tuple[uvicorn.Server, asyncio.Task[None], int]:
    """``app`` on ``port`` (a free one by default); with ``settings``, on the server
    production runs."""
    port = port or free_port()
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
    port = free_port()
    # The URL Twilio is given, so the one it signs: the bridge checks upgrades against it.
    url = f"ws://127.0.0.1:{port}/media-stream"
    async with RealtimeModelSimulator(speed=model_speed) as model:
        values: dict[str, Any] = {
            "media_receive_timeout_seconds": 2.0,
            "openai_base_url": model.base_url,
            "orchestrator_url": f"http://127.0.0.1:{orch_port}",
            "internal_token": INTERNAL_TOKEN,
            "twilio_auth_token": TWILIO_AUTH_TOKEN,
            "media_stream_token_secret": STREAM_TOKEN_SECRET,
            "media_stream_url": url,
            **overrides,
        }
        settings = settings_for(
            infra, MediaBridgeSettings, service="media-bridge", schema=schema, **values
        )
        app = create_app(settings)
        server, serving, port = await _serve(app, settings, port)
        await app.state.runtime.wait_bus_ready(10)
        try:
            yield Bridge(
                url=url,
                pool=app.state.runtime.pool,
                app=app,
                model=model,
                orchestrator=orchestrator,
                orchestrator_url=values["orchestrator_url"],
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


def record_client_events(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every client event the SIMULATED model receives from now on, in order (audio
    appends by type only): what the bridge told the model, seen from its side."""
    seen: list[dict[str, Any]] = []
    original = RealtimeSession._dispatch

    async def recording(self: RealtimeSession, message: str | bytes) -> None:
        event = orjson.loads(message)
        seen.append({"type": event["type"]} if event["type"] == "input_audio_buffer.append"
                    else event)
        await original(self, message)

    monkeypatch.setattr(RealtimeSession, "_dispatch", recording)
    return seen
