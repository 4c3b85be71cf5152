"""A stand-in upstream for the gateway's tests, and servers that misbehave the way a
failing upstream does: no pytest, no dev tools (the tests' fixtures serve these).

The stand-in is a small FastAPI app that reports what reached it (method, raw path,
query, headers, a digest of the body) and answers with headers a proxy must pass on
(two ``Set-Cookie``) and headers it must not (``Keep-Alive``, a field ``Connection``
names). Served by uvicorn on 127.0.0.1, it speaks real HTTP.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

StartGateway = Callable[..., Awaitable[str]]


@asynccontextmanager
async def serving(app: Any, port: int = 0) -> AsyncIterator[str]:
    """``app`` served by uvicorn on a loopback port, a free one unless given (its
    lifespan is the caller's)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", port))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(
        app, lifespan="off", log_config=None, access_log=False, timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()  # it failed to start: say why
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()


@dataclass
class Upstream:
    """The stand-in upstream: what reached it, and a gate its ``hold`` route waits on."""

    url: str = ""
    seen: list[dict[str, Any]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    holding: int = 0
    streams_ended: int = 0


def stand_in_app(upstream: Upstream) -> FastAPI:
    app = FastAPI(title="stand-in upstream")

    async def echo(request: Request, rest: str) -> Response:
        digest, length = hashlib.sha256(), 0
        async for chunk in request.stream():
            digest.update(chunk)
            length += len(chunk)
        upstream.seen.append({
            "method": request.method, "raw_path": request.scope["raw_path"].decode(),
            "query": request.scope["query_string"].decode(),
            "headers": [(k.decode(), v.decode("latin-1")) for k, v in request.scope["headers"]],
            "sha256": digest.hexdigest(), "length": length,
        })
        status = int(request.headers.get("x-answer-status", "200"))
        headers = [("x-upstream", "stand-in"), ("set-cookie", "a=1"), ("set-cookie", "b=2"),
                   ("connection", "x-upstream-hop"), ("x-upstream-hop", "drop me"),
                   ("keep-alive", "timeout=5")]
        answer = JSONResponse({"sha256": digest.hexdigest(), "length": length},
                              status_code=status)
        answer.raw_headers.extend((k.encode(), v.encode()) for k, v in headers)
        return answer

    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"):
        app.add_api_route("/api/tools/echo/{rest:path}", echo, methods=[method],
                          name=f"echo_{method.lower()}")

    @app.get("/api/tools/hold")
    async def hold() -> dict[str, str]:
        upstream.holding += 1
        await upstream.release.wait()
        return {"held": "released"}

    @app.get("/api/tools/endless")
    async def endless() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            try:
                while True:
                    yield b"tick\n"
                    await asyncio.sleep(0.01)
            finally:
                upstream.streams_ended += 1

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.get("/api/tools/{tool_id}")
    async def get_tool(tool_id: str) -> dict[str, str]:
        return {"id": tool_id}

    @app.get("/internal/tools/{tool_id}")
    async def internal_tool(tool_id: str) -> dict[str, str]:
        return {"id": tool_id}

    @app.post("/webhook/tool-callback")
    async def webhook() -> dict[str, str]:
        return {}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


@asynccontextmanager
async def raw_server(
    handle: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
) -> AsyncIterator[str]:
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()


async def never_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accepts, reads the request, and says nothing until the peer gives up."""
    while await reader.read(65536):
        pass
    writer.close()


async def resets_mid_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers the headers and a tenth of the promised body, then resets (RST)."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n"
                 b"content-length: 100000\r\n\r\n" + b"x" * 10000)
    await writer.drain()
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def unused_url() -> str:
    """A loopback URL nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


