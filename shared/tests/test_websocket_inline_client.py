""":class:`InlineClientConnection` against a real ``websockets`` server: messages the
sink takes never reach ``recv()``; once one is refused, the later ones wait behind it
in the assembler and come out of ``recv()`` in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from ringbook.websocket_inline import InlineClientConnection
from ringbook_devtools.testing.waiting import eventually
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve


class Script:
    """The server's side: writes each batch it is told to in one go, with no await in
    between, so the client reads the batch's messages together."""

    def __init__(self) -> None:
        self.batches: asyncio.Queue[list[str | bytes] | None] = asyncio.Queue()

    async def handler(self, ws: ServerConnection) -> None:
        while (batch := await self.batches.get()) is not None:
            for message in batch:
                if isinstance(message, str):
                    ws.protocol.send_text(message.encode())
                else:
                    ws.protocol.send_binary(message)
            ws.send_data()


@pytest.fixture
async def server() -> AsyncIterator[tuple[Script, str]]:
    script = Script()
    async with serve(script.handler, "127.0.0.1", 0) as running:
        port = running.sockets[0].getsockname()[1]
        yield script, f"ws://127.0.0.1:{port}/"
        script.batches.put_nowait(None)  # the handler's end, or closing waits for it


async def recv(ws: InlineClientConnection) -> str | bytes:
    async with asyncio.timeout(5):  # a message taken inline by mistake never comes
        return await ws.recv()


async def test_refused_messages_hold_the_later_ones_until_recv_has_taken_them(
    server: tuple[Script, str],
) -> None:
    script, url = server
    taken: list[bytes] = []

    def sink(data: bytes) -> bool:
        if data.startswith(b"wait"):
            return False
        taken.append(data)
        return True

    async with connect(url, create_connection=InlineClientConnection) as ws:
        assert isinstance(ws, InlineClientConnection)
        ws.deliver_to(sink)
        await script.batches.put(["a", "wait-1", "b", "c"])
        received = [await recv(ws), await recv(ws), await recv(ws)]
        assert received == ["wait-1", "b", "c"]  # b and c did not overtake wait-1
        assert taken == [b"a"]

        await script.batches.put(["d", b"\x01binary", "e"])
        assert await recv(ws) == b"\x01binary"  # not text: never offered
        await eventually(lambda: len(taken) == 2)
        assert taken == [b"a", b"d"]
        assert await recv(ws) == "e"  # queued behind the binary one

        await script.batches.put(["f"])
        await eventually(lambda: len(taken) == 3)
        assert taken[-1] == b"f"  # nothing waiting any more: inline again


async def test_a_raising_sink_drops_the_message_and_the_connection_goes_on(
    server: tuple[Script, str],
) -> None:
    script, url = server
    taken: list[bytes] = []

    def sink(data: bytes) -> bool:
        if data == b"boom":
            raise RuntimeError("sink broke")
        taken.append(data)
        return True

    async with connect(url, create_connection=InlineClientConnection) as ws:
        assert isinstance(ws, InlineClientConnection)
        ws.deliver_to(sink)
        await script.batches.put(["boom", "after"])
        await eventually(lambda: taken == [b"after"])
        ws.deliver_to(None)
        await script.batches.put(["plain"])
        assert await recv(ws) == "plain"
