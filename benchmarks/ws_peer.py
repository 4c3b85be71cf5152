"""A websocket end for the load generator, as cheap as it can be made in Python.

The generator plays both of the bridge's peers (Twilio's side and the model) for up to
200 calls on one core: it handles as many messages as the bridge itself. With the
``websockets`` asyncio API each message costs a task wake-up and an awaited send, and
at 100 calls the generator's own event loop fell ~7 ms behind at p99, which the
figures would have charged to the bridge. So here websockets' sans-I/O protocols (the
same framing and handshake code) are driven from an ``asyncio.Protocol``: frames are
handed to a callback inside ``data_received``, with the time they were read, and
writes go straight to the transport.

Only what the test needs: unfragmented text messages (what Twilio, uvicorn and the
openai SDK send); pings and closes are answered by the sans-I/O protocol itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import cast

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.uri import parse_uri

OnText = Callable[["Peer", bytes, float], None]
MAX_MESSAGE = 2**20


class Peer(asyncio.Protocol):
    def __init__(self, ws: ClientProtocol | ServerProtocol, on_text: OnText,
                 on_open: Callable[[Peer], None] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        loop = asyncio.get_running_loop()
        self.ws, self.on_text, self.on_open = ws, on_text, on_open
        self.headers = dict(headers or {})
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, only alike.
        self.transport = cast(asyncio.Transport, transport)
        if isinstance(self.ws, ClientProtocol):
            request = self.ws.connect()
            for name, value in self.headers.items():
                request.headers[name] = value
            self.ws.send_request(request)
            self._flush()

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Request):
                assert isinstance(self.ws, ServerProtocol)
                self.ws.send_response(self.ws.accept(event))
                self._opened()
            elif isinstance(event, Response):
                self._opened()
            elif isinstance(event, Frame) and event.opcode is Opcode.TEXT and event.fin:
                self.on_text(self, bytes(event.data), now)
        self._flush()

    def _opened(self) -> None:
        if self.ws.state is State.OPEN and not self.opened.done():
            self.opened.set_result(None)
            if self.on_open is not None:
                self.on_open(self)
        elif not self.opened.done():
            self.opened.set_exception(ConnectionError("websocket handshake refused"))

    def send(self, text: str | bytes) -> bool:
        """Send one text message at once; False once the connection is not open."""
        if self.ws.state is not State.OPEN:
            return False
        self.ws.send_text(text.encode() if isinstance(text, str) else text)
        self._flush()
        return True

    def close(self) -> None:
        if self.ws.state is State.OPEN:
            self.ws.send_close()
            self._flush()

    def _flush(self) -> None:
        assert self.transport is not None
        for data in self.ws.data_to_send():
            if data:
                self.transport.write(data)
            elif self.transport.can_write_eof():
                self.transport.write_eof()  # the protocol half-closes after a close
        if self.ws.close_expected() and self.ws.state is State.CLOSED:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.ws.receive_eof()
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed before the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)


CONNECT_SECONDS = 10.0


async def connect_peer(url: str, on_text: OnText,
                       headers: Mapping[str, str] | None = None) -> Peer:
    """A client connection to ``ws://host:port/path``, handshake done (with ``headers``
    on the upgrade request)."""
    uri = parse_uri(url)
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(CONNECT_SECONDS):
        _, peer = await loop.create_connection(
            lambda: Peer(ClientProtocol(uri, max_size=MAX_MESSAGE), on_text, headers=headers),
            uri.host, uri.port)
        await peer.opened
    return peer


async def serve_peers(on_text: OnText, on_open: Callable[[Peer], None]) -> asyncio.Server:
    """A websocket server on a free loopback port; ``on_open`` runs after each handshake."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: Peer(ServerProtocol(max_size=MAX_MESSAGE), on_text, on_open), "127.0.0.1", 0)
