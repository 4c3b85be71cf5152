"""uvicorn with :class:`InlineWebSocketProtocol`, on a real port, driven by a plain
``websockets`` client: the inline lane takes what its sink accepts, everything else
reaches the app through ASGI in order, and ``send_now`` writes without an ``await``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from ringbook.web.inline_websocket import INLINE_EXTENSION, InlineLane
from ringbook_devtools.testing.waiting import eventually
from websockets.asyncio.client import connect
from websockets.frames import Frame, Opcode

from shared.tests.inline_server import serve_inline


class LaneApp:
    """A raw ASGI websocket app that handles frames through the lane's sink and through
    ``receive``, recording everything in the order it was handled."""

    def __init__(self) -> None:
        self.handled: list[str | bytes] = []
        self.inline: list[str] = []
        self.busy = False  # handling a frame read through receive()
        self.register = True
        self.refuse: Callable[[str], bool] = lambda text: text.startswith("slow")
        self.raise_on: str | None = None
        self.lane: InlineLane | None = None
        self.closed = asyncio.Event()

    def sink(self, text: str) -> bool:
        if text == self.raise_on:
            raise RuntimeError("sink broke")
        if self.busy or self.refuse(text):
            return False
        self.inline.append(text)
        self.handled.append(text)
        return True

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        self.lane = scope["extensions"][INLINE_EXTENSION]["lane"]
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        if self.register:
            self.lane.deliver_to(self.sink)
        while (message := await receive())["type"] == "websocket.receive":
            self.busy = True
            data = message.get("text") or message.get("bytes")
            if isinstance(data, str) and data.startswith("slow"):
                await asyncio.sleep(0.02)  # the frame takes a while: later ones must wait
            self.handled.append(data)
            if data == "reply":
                assert self.lane.send_now(["one", "two"])
            if data == "close":
                await send({"type": "websocket.close", "code": 1000})
                assert not self.lane.can_send_now()
                assert not self.lane.send_now(["late"])
                self.busy = False
                break
            self.busy = False
        self.closed.set()


@pytest.fixture
async def served() -> AsyncIterator[tuple[LaneApp, str]]:
    app = LaneApp()
    async with serve_inline(app) as url:
        yield app, url


async def test_frames_are_handled_once_each_and_in_order_across_both_lanes(
    served: tuple[LaneApp, str],
) -> None:
    app, url = served
    sent = [f"slow-{i}" if i % 5 == 2 else f"frame-{i}" for i in range(40)]
    async with connect(url) as ws:
        for text in sent:
            await ws.send(text)
        await eventually(lambda: len(app.handled) == len(sent))
    assert app.handled == sent
    assert app.inline and all(not t.startswith("slow") for t in app.inline)
    assert len(app.inline) < len(sent)  # the slow ones (and what queued behind) via ASGI


async def test_a_queued_frame_holds_back_the_later_ones_until_the_app_has_read_it(
    served: tuple[LaneApp, str],
) -> None:
    app, url = served
    app.refuse = lambda text: text == "first"  # everything else the sink would take
    async with connect(url) as ws:
        # One write: all three reach the protocol together, "first" is queued and the
        # other two must queue behind it rather than overtake it inline.
        ws.transport.write(b"".join(_client_frame(t) for t in ("first", "second", "third")))
        await eventually(lambda: len(app.handled) == 3)
    assert app.handled == ["first", "second", "third"]
    assert app.inline == []


async def test_send_now_writes_frames_in_order_and_refuses_once_closed(
    served: tuple[LaneApp, str],
) -> None:
    app, url = served
    async with connect(url) as ws:
        await ws.send("slow-reply")  # through receive(), like the ones below
        app.refuse = lambda text: True
        await ws.send("reply")
        assert [await ws.recv(), await ws.recv()] == ["one", "two"]
        await ws.send("close")
        await eventually(app.closed.is_set)
    assert app.handled == ["slow-reply", "reply", "close"]


async def test_binary_frames_and_apps_without_a_sink_use_plain_asgi(
    served: tuple[LaneApp, str],
) -> None:
    app, url = served
    app.register = False
    async with connect(url) as ws:
        await ws.send(b"\x00\x01")
        await ws.send("frame")
        await eventually(lambda: len(app.handled) == 2)
    assert app.handled == [b"\x00\x01", "frame"]
    assert app.inline == []


async def test_a_sink_that_raises_loses_that_frame_but_not_the_connection(
    served: tuple[LaneApp, str],
) -> None:
    app, url = served
    app.raise_on = "boom"
    async with connect(url) as ws:
        for text in ("before", "boom", "after"):
            await ws.send(text)
        await eventually(lambda: len(app.handled) == 2)
        await ws.send("still-open")
        await eventually(lambda: len(app.handled) == 3)
    assert app.handled == ["before", "after", "still-open"]


def _client_frame(text: str) -> bytes:
    """A masked client text frame, as websockets would write it."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=True, extensions=[])
