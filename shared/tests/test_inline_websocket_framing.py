"""The inline lane's own framing (``InlineWebSocketProtocol.data_received`` and
``InlineLane.send_now``) on a real uvicorn port, against a plain ``websockets`` client:
frames cut anywhere by TCP, control frames between them, a refused frame, bad UTF-8 and
big messages all come out exactly as through ``websockets``' parser, in order."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from ringbook.web import inline_websocket
from ringbook.web.inline_websocket import INLINE_EXTENSION, InlineLane
from ringbook_devtools.testing.waiting import eventually
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError
from websockets.frames import Frame, Opcode

from shared.tests.inline_server import serve_inline


class SinkApp:
    def __init__(self) -> None:
        self.handled: list[str] = []
        self.refuse: set[str] = set()
        self.lane: InlineLane | None = None

    def sink(self, text: str) -> bool:
        if text in self.refuse:
            self.refuse.discard(text)
            return False
        self.handled.append(text)
        if text.startswith("echo:") and self.lane is not None:
            assert self.lane.send_now([text[5:], text[5:] * 2])
        return True

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        self.lane = scope["extensions"][INLINE_EXTENSION]["lane"]
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        self.lane.deliver_to(self.sink)
        while (message := await receive())["type"] == "websocket.receive":
            self.handled.append(message["text"])


@pytest.fixture
async def served() -> AsyncIterator[tuple[SinkApp, str]]:
    app = SinkApp()
    async with serve_inline(app) as url:
        yield app, url


def _frame(opcode: Opcode, data: bytes, fin: bool = True) -> bytes:
    return Frame(opcode, data, fin).serialize(mask=True, extensions=[])


async def test_frames_cut_anywhere_with_pings_between_arrive_once_in_order(
    served: tuple[SinkApp, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, url = served
    cut = 0
    real = inline_websocket.next_text_frame

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal cut
        found = real(*args, **kwargs)
        cut += found is not None
        return found

    monkeypatch.setattr(inline_websocket, "next_text_frame", counted)
    rng = random.Random(14)
    texts = [f"{i}:" + "m" * rng.choice([3, 120, 125, 126, 400, 3000]) for i in range(120)]
    stream = b""
    for i, text in enumerate(texts):
        stream += _frame(Opcode.TEXT, text.encode())
        if i % 17 == 0:
            stream += _frame(Opcode.PING, b"p%d" % i)
        if i % 29 == 0:  # a fragmented message, for the protocol alone
            stream += _frame(Opcode.TEXT, b"frag", fin=False) + _frame(Opcode.CONT, b"ment")
    async with connect(url, compression=None) as ws:
        pos = 0
        while pos < len(stream):
            step = rng.choice([1, 2, 5, 64, 300, 5000])
            ws.transport.write(stream[pos:pos + step])
            pos += step
            if rng.random() < 0.3:
                await asyncio.sleep(0)  # let some pieces arrive on their own
        expected = []
        for i, text in enumerate(texts):
            expected.append(text)
            if i % 29 == 0:
                expected.append("fragment")
        await eventually(lambda: len(app.handled) == len(expected))
        pong = await ws.ping()  # the connection is still healthy, pings answered
        async with asyncio.timeout(5):
            await pong
    assert app.handled == expected
    assert cut > 0  # the lane's own framing did take frames


async def test_a_refused_frame_queues_with_what_follows_it(served: tuple[SinkApp, str]) -> None:
    app, url = served
    app.refuse = {"b"}
    async with connect(url, compression=None) as ws:
        ws.transport.write(b"".join(_frame(Opcode.TEXT, t.encode()) for t in "abcd"))
        await eventually(lambda: len(app.handled) == 4)
        await ws.send("e")
        await eventually(lambda: len(app.handled) == 5)
    assert app.handled == ["a", "b", "c", "d", "e"]


async def test_bad_utf8_closes_with_1007_after_the_good_frames(
    served: tuple[SinkApp, str],
) -> None:
    app, url = served
    async with connect(url, compression=None) as ws:
        ws.transport.write(_frame(Opcode.TEXT, b"good") + _frame(Opcode.TEXT, b"\xff\xfe"))
        with pytest.raises(ConnectionClosedError) as closed:
            async with asyncio.timeout(5):
                await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1007
    assert app.handled == ["good"]


@pytest.mark.parametrize("size", [1, 125, 126, 40000, 70000])
async def test_send_now_frames_are_read_by_websockets(
    served: tuple[SinkApp, str], size: int
) -> None:
    _, url = served
    async with connect(url, compression=None, max_size=2**20) as ws:
        await ws.send("echo:" + "w" * size)
        async with asyncio.timeout(5):
            assert [await ws.recv(), await ws.recv()] == ["w" * size, "w" * size * 2]


# A text whose UTF-8 holds, from its 0x81 on, the bytes of a whole masked frame ("aaaaa",
# masked with "0000"): a parser that started reading mid-frame would find it there.
DECOY = "pre\u1045" + "0000QQQQQ" + "post"


async def test_a_frame_split_by_tcp_is_never_read_from_its_middle(
    served: tuple[SinkApp, str],
) -> None:
    app, url = served
    raw = text_frame_zero_mask(DECOY.encode())
    split = raw.index(b"\xe1\x81\x85") + 1  # just before the decoy's 0x81
    async with connect(url, compression=None) as ws:
        for _ in range(3):
            ws.transport.write(raw[:split])
            assert app.lane is not None
            conn = app.lane._protocol.conn
            await eventually(lambda conn=conn: len(conn.reader.buffer) > 0)
            ws.transport.write(raw[split:])
        await eventually(lambda: len(app.handled) == 3)
    assert app.handled == [DECOY] * 3


def text_frame_zero_mask(data: bytes) -> bytes:
    """A client frame masked with zeros: its payload is on the wire as it is."""
    head = bytes([0x81, 0x80 | len(data)]) if len(data) < 126 else b""
    assert head, "keep the decoy short"
    return head + b"\x00\x00\x00\x00" + data
