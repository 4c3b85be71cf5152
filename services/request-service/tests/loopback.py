"""An ASGI app behind a real uvicorn on a loopback port, for the tests that need a real
socket: httpx's ASGI transport buffers whole responses (a never-ending SSE stream), and
the gateway's proxy must reach its upstream over the network."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from ringbook_devtools.testing.waiting import eventually


@asynccontextmanager
async def served_on_loopback(app: FastAPI) -> AsyncIterator[str]:
    """The app's base URL while it is served; lifespan off (the caller runs it)."""
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
