"""Server events through the official SDK's websocket, inline and awaited: a scripted
realtime server (a plain ``websockets`` server writing GA event JSON) sends batches of
events; what the inline sink takes never comes out of ``events()``, what it refuses does,
and across both lanes every event is handled once, in the order it was sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from media_bridge.adapters.openai_realtime import OpenAIRealtimeModel
from media_bridge.domain.model_events import AudioDelta, ModelEvent, SpeechStarted
from media_bridge.settings import MediaBridgeSettings
from openai import AsyncOpenAI
from ringbook.websocket_inline import InlineClientConnection
from ringbook_devtools.testing.waiting import eventually
from websockets.asyncio.server import ServerConnection, serve


class ScriptedServer:
    """Writes each batch of events in one go (no await between them)."""

    def __init__(self) -> None:
        self.batches: asyncio.Queue[list[dict[str, Any]] | None] = asyncio.Queue()

    async def handler(self, ws: ServerConnection) -> None:
        while (batch := await self.batches.get()) is not None:
            for event in batch:
                ws.protocol.send_text(orjson.dumps(event))
            ws.send_data()


def delta(item: str, n: int) -> dict[str, Any]:
    return {"type": "response.output_audio.delta", "item_id": item, "delta": f"{n:04d}"}


@pytest.fixture
async def scripted() -> AsyncIterator[tuple[ScriptedServer, OpenAIRealtimeModel]]:
    server = ScriptedServer()
    async with serve(server.handler, "127.0.0.1", 0) as running:
        base_url = f"http://127.0.0.1:{running.sockets[0].getsockname()[1]}/v1"
        client = AsyncOpenAI(api_key="sim", base_url=base_url)
        model = await OpenAIRealtimeModel.connect(
            client, MediaBridgeSettings(openai_base_url=base_url)
        )
        try:
            yield server, model
        finally:
            await model.close()
            await client.close()
            server.batches.put_nowait(None)


class Consumer:
    """Handles events from both lanes into one list; audio is taken inline, speech
    starts are refused inline (they need awaiting: barge-in)."""

    def __init__(self) -> None:
        self.handled: list[tuple[str, ModelEvent]] = []

    def now(self, event: ModelEvent) -> bool:
        if isinstance(event, SpeechStarted):
            return False
        self.handled.append(("inline", event))
        return True

    async def read(self, model: OpenAIRealtimeModel) -> None:
        async for event in model.events():
            await asyncio.sleep(0.01)  # busy with it, as a barge-in would be
            self.handled.append(("awaited", event))


async def test_events_are_handled_once_each_in_order_across_both_lanes(
    scripted: tuple[ScriptedServer, OpenAIRealtimeModel],
) -> None:
    server, model = scripted
    assert isinstance(model.websocket, InlineClientConnection)
    consumer = Consumer()
    assert model.deliver_inline(consumer.now)
    reading = asyncio.create_task(consumer.read(model))
    try:
        await server.batches.put([
            {"type": "session.created", "session": {}},  # nothing the bridge acts on
            delta("i1", 1),
            {"type": "input_audio_buffer.speech_started", "item_id": "u1"},
            delta("i1", 2),
            delta("i1", 3),
        ])
        await eventually(lambda: len(consumer.handled) == 4)
        await server.batches.put([delta("i2", 4), delta("i2", 5)])
        await eventually(lambda: len(consumer.handled) == 6)
    finally:
        reading.cancel()

    kinds = [type(event).__name__ for _, event in consumer.handled]
    assert kinds == ["AudioDelta", "SpeechStarted"] + ["AudioDelta"] * 4
    audio = [e.delta for _, e in consumer.handled if isinstance(e, AudioDelta)]
    assert audio == ["0001", "0002", "0003", "0004", "0005"]
    lanes = [lane for lane, _ in consumer.handled]
    # 1 inline; the speech start refused; 2 and 3 queued behind it (the reader was
    # busy or they were waiting); 4 and 5, once all was read, inline again.
    assert lanes == ["inline", "awaited", "awaited", "awaited", "inline", "inline"]


async def test_without_a_reader_waiting_nothing_is_taken_inline(
    scripted: tuple[ScriptedServer, OpenAIRealtimeModel],
) -> None:
    server, model = scripted
    consumer = Consumer()
    model.deliver_inline(consumer.now)
    await server.batches.put([delta("i1", 1), delta("i1", 2)])
    await asyncio.sleep(0.1)  # delivered to the socket, with no events() waiting
    assert consumer.handled == []
    events = model.events()
    first, second = await anext(events), await anext(events)
    assert [first, second] == [AudioDelta("i1", "0001"), AudioDelta("i1", "0002")]
