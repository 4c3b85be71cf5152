""":class:`FastClientConnection` against a real ``websockets`` server: the frames it cuts
itself reach the sink exactly as ``websockets`` would have parsed them, in order, with
control frames, refused and split frames between them; what it writes itself the
server reads as it reads ``send``."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest
from ringbook import websocket_fast_client
from ringbook.websocket_fast_client import FastClientConnection
from ringbook_devtools.testing.waiting import eventually
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.frames import Frame, Opcode

# A text whose UTF-8 holds, from its 0x81 on, a whole unmasked frame ("aaaaa"): a parser
# that started reading mid-frame would find it there.
DECOY = "pre\u0101\x05" + "aaaaa" + "post"


class Server:
    """Writes the raw chunks it is given, in order; keeps what it received."""

    def __init__(self) -> None:
        self.chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.received: list[str | bytes] = []
        self.conn: ServerConnection | None = None

    async def handler(self, ws: ServerConnection) -> None:
        self.conn = ws
        reading = asyncio.create_task(self._read(ws))
        while (chunk := await self.chunks.get()) is not None:
            ws.transport.write(chunk)
        reading.cancel()

    async def _read(self, ws: ServerConnection) -> None:
        async for message in ws:
            self.received.append(message)


@pytest.fixture
async def server() -> AsyncIterator[tuple[Server, str]]:
    script = Server()
    async with serve(script.handler, "127.0.0.1", 0, compression=None,
                     max_size=2**20) as running:
        port = running.sockets[0].getsockname()[1]
        yield script, f"ws://127.0.0.1:{port}/"
        script.chunks.put_nowait(None)


def _frame(opcode: Opcode, data: bytes, fin: bool = True) -> bytes:
    return Frame(opcode, data, fin).serialize(mask=False, extensions=[])


async def _connect(url: str) -> FastClientConnection:
    ws = await connect(url, compression=None, create_connection=FastClientConnection)
    assert isinstance(ws, FastClientConnection)
    return ws


async def test_frames_cut_anywhere_reach_the_sink_once_in_order(
    server: tuple[Server, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    script, url = server
    cut = 0
    real = websocket_fast_client.next_text_frame

    def counted(*args: object, **kwargs: bool | int | None) -> tuple[bytes, int] | None:
        nonlocal cut
        found = real(*args, **kwargs)  # type: ignore[arg-type]
        cut += found is not None
        return found

    monkeypatch.setattr(websocket_fast_client, "next_text_frame", counted)
    rng = random.Random(14)
    texts = [f"{i}:".encode() + b"d" * rng.choice([3, 125, 126, 900, 4000]) for i in range(100)]
    stream = b""
    for i, text in enumerate(texts):
        stream += _frame(Opcode.TEXT, text)
        if i % 13 == 0:
            stream += _frame(Opcode.PING, b"p")
    taken: list[bytes] = []
    ws = await _connect(url)
    try:
        ws.deliver_to(lambda data: taken.append(data) is None)
        pos = 0
        while pos < len(stream):
            step = rng.choice([1, 3, 64, 700, 6000])
            await script.chunks.put(stream[pos:pos + step])
            pos += step
        await eventually(lambda: len(taken) == len(texts))
        async with asyncio.timeout(5):
            await ws.ping()  # still healthy (and the server's pings were answered)
    finally:
        await ws.close()
    assert taken == texts
    assert cut > 0


async def test_a_split_frame_is_never_read_from_its_middle(server: tuple[Server, str]) -> None:
    script, url = server
    raw = _frame(Opcode.TEXT, DECOY.encode())
    split = raw.index(b"\xc4\x81\x05") + 1  # just before the decoy's 0x81
    taken: list[bytes] = []
    ws = await _connect(url)
    try:
        ws.deliver_to(lambda data: taken.append(data) is None)
        for _ in range(3):
            await script.chunks.put(raw[:split])
            await eventually(lambda: len(ws.protocol.reader.buffer) > 0)
            await script.chunks.put(raw[split:])
        await eventually(lambda: len(taken) == 3)
    finally:
        await ws.close()
    assert taken == [DECOY.encode()] * 3


async def test_a_refused_frame_and_the_later_ones_come_out_of_recv(
    server: tuple[Server, str],
) -> None:
    script, url = server
    taken: list[bytes] = []

    def sink(data: bytes) -> bool:
        if data == b"wait":
            return False
        taken.append(data)
        return True

    ws = await _connect(url)
    try:
        ws.deliver_to(sink)
        await script.chunks.put(b"".join(_frame(Opcode.TEXT, t) for t in
                                         (b"a", b"wait", b"b", b"c")))
        async with asyncio.timeout(5):
            assert [await ws.recv(), await ws.recv(), await ws.recv()] == ["wait", "b", "c"]
        await script.chunks.put(_frame(Opcode.TEXT, b"d"))
        await eventually(lambda: taken == [b"a", b"d"])  # nothing waits: inline again
    finally:
        await ws.close()


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 70000])
async def test_what_it_writes_itself_the_server_reads(
    server: tuple[Server, str], size: int
) -> None:
    script, url = server
    ws = await _connect(url)
    try:
        text = ("x" * size).encode()
        assert ws.write_text_now(text)
        assert ws.write_text_now(b"second")
        await eventually(lambda: len(script.received) == 2)
        assert script.received == [text.decode(), "second"]
    finally:
        await ws.close()
    assert not ws.write_text_now(b"late")  # closed: the caller's awaited path raises
