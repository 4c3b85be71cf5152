"""uvicorn serving a raw ASGI app with :class:`InlineWebSocketProtocol` on a free loopback
port, for the inline lane's tests: the server is up before the test runs, and stopped
(its serve task awaited) after, whatever the test did."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from ringbook.web.inline_websocket import InlineWebSocketProtocol
from ringbook_devtools.testing.waiting import eventually


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@asynccontextmanager
async def serve_inline(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` and yield its ``ws://`` URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, ws=InlineWebSocketProtocol,
                            log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    await eventually(lambda: server.started or serving.done())
    assert not serving.done(), "uvicorn exited during start-up"
    try:
        yield f"ws://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        await serving
