"""Test helpers around the SIMULATED carrier, all on real sockets in-process.

``serve_app`` runs any ASGI app with uvicorn on a free port; ``running_carrier`` runs
the simulated carrier; ``CallbackRecorder`` and ``MediaStreamRecorder`` stand in for
our services' status-callback endpoint and Media Streams websocket.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import uvicorn
from fastapi import FastAPI, Request, Response
from starlette.types import ASGIApp
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from websockets.asyncio.server import ServerConnection, serve

from ringbook_simulators.carrier.rest_api import create_carrier_app
from ringbook_simulators.carrier.settings import CarrierSettings


@asynccontextmanager
async def serve_app(
    app: ASGIApp, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on a free port; yields its ``http://host:port`` URL."""
    # Binding the socket ourselves avoids the race of "find a free port, then bind".
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name=f"uvicorn-{port}")
    try:
        while not server.started:
            if task.done():
                task.result()  # surfaces the startup error
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.01)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=10)
        except TimeoutError:
            server.force_exit = True
            await task
        finally:
            sock.close()


@asynccontextmanager
async def running_carrier(
    settings: CarrierSettings | None = None,
) -> AsyncIterator[tuple[str, CarrierSettings]]:
    """The simulated carrier on a free port; yields ``(base_url, settings)``."""
    settings = settings or CarrierSettings()
    async with serve_app(create_carrier_app(settings)) as base_url:
        yield base_url, settings


@dataclass(frozen=True)
class ReceivedCallback:
    url: str
    params: dict[str, str]
    signature: str | None
    signature_valid: bool


@dataclass
class CallbackRecorder:
    """A status-callback receiver that checks each signature with Twilio's validator."""

    auth_token: str
    received: list[ReceivedCallback] = field(default_factory=list)

    def app(self, path: str = "/status") -> FastAPI:
        app = FastAPI()

        async def receive(request: Request) -> Response:
            params = {key: str(value) for key, value in (await request.form()).items()}
            url, signature = str(request.url), request.headers.get("X-Twilio-Signature")
            valid = RequestValidator(self.auth_token).validate(url, params, signature or "")
            self.received.append(ReceivedCallback(url, params, signature, bool(valid)))
            return Response(status_code=204)

        app.add_api_route(path, receive, methods=["POST"])
        return app

    def for_call(self, call_sid: str) -> list[ReceivedCallback]:
        return [c for c in self.received if c.params.get("CallSid") == call_sid]

    def statuses(self, call_sid: str) -> list[str]:
        return [c.params["CallStatus"] for c in self.for_call(call_sid)]


@dataclass
class MediaSession:
    path: str
    signature_valid: bool
    messages: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False


@dataclass
class MediaStreamRecorder:
    """Our side of Media Streams, for tests: records what the carrier sends and, after
    ``start``, answers with one ``media``, a ``clear`` and a ``mark`` named
    ``greeting-done``; closes at once if the stream parameter ``close`` is ``now``."""

    auth_token: str
    base_url: str = ""
    sessions: list[MediaSession] = field(default_factory=list)

    async def _handle(self, ws: ServerConnection) -> None:
        request = ws.request
        path = request.path if request is not None else "/"
        signature = request.headers.get("X-Twilio-Signature", "") if request else ""
        url = self.base_url + path
        valid = bool(RequestValidator(self.auth_token).validate(url, {}, signature))
        session = MediaSession(path=path, signature_valid=valid)
        self.sessions.append(session)
        try:
            async for raw in ws:
                message = orjson.loads(raw)
                session.messages.append(message)
                if message.get("event") != "start":
                    continue
                if message["start"]["customParameters"].get("close") == "now":
                    await ws.close()
                    break
                sid = message["streamSid"]
                for reply in (
                    {"event": "media", "streamSid": sid, "media": {"payload": "/w=="}},
                    {"event": "clear", "streamSid": sid},
                    {"event": "mark", "streamSid": sid, "mark": {"name": "greeting-done"}},
                ):
                    await ws.send(orjson.dumps(reply).decode("utf-8"))
        finally:
            session.closed = True

    @asynccontextmanager
    async def serving(self, host: str = "127.0.0.1") -> AsyncIterator[str]:
        """Listen on a free port; yields the ``ws://host:port`` base URL."""
        async with serve(self._handle, host, 0) as server:
            self.base_url = f"ws://{host}:{server.sockets[0].getsockname()[1]}"
            yield self.base_url


def sdk_client(settings: CarrierSettings, base_url: str, auth_token: str | None = None) -> Client:
    """The official SDK pointed at the simulated carrier, as a service's adapter points it
    (only the ``api`` domain's base URL changes)."""
    client = Client(settings.account_sid, auth_token or settings.auth_token,
                    http_client=TwilioHttpClient(timeout=10))
    client.api.base_url = base_url
    client.edge = None
    client.region = None
    return client
