"""Caller audio to the model through the official SDK's websocket: written directly
when nothing has to wait, through the SDK's ``send_raw`` otherwise; either way every
frame arrives, in order and unchanged (the simulated model speaks the GA protocol)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest
from bridge_harness import eventually
from media_bridge.adapters.openai_realtime import ModelConnectionClosed, OpenAIRealtimeModel
from media_bridge.settings import MediaBridgeSettings
from openai import AsyncOpenAI
from ringbook.websocket_writes import write_now
from ringbook_simulators.realtime.server import RealtimeModelSimulator
from websockets.asyncio.connection import Connection


@pytest.fixture
async def model() -> AsyncIterator[OpenAIRealtimeModel]:
    async with RealtimeModelSimulator() as simulator:
        settings = MediaBridgeSettings(openai_base_url=simulator.base_url)
        client = AsyncOpenAI(api_key="sim", base_url=simulator.base_url)
        connected = await OpenAIRealtimeModel.connect(client, settings)
        try:
            yield connected
        finally:
            await connected.close()
            await client.close()


def count_awaited_sends(ws: Connection) -> list[Any]:
    """Record what goes through the connection's awaited ``send`` (the SDK's path)."""
    awaited: list[Any] = []
    awaited_send = ws.send

    async def counting(message: Any, text: bool | None = None) -> None:
        awaited.append(message)
        await awaited_send(message, text=text)

    ws.send = counting  # type: ignore[method-assign]
    return awaited


def frames(count: int) -> list[str]:
    return [base64.b64encode(bytes([i % 256]) * 160).decode() for i in range(count)]


async def arrived(seen: list[str], count: int) -> None:
    async def all_there() -> bool:
        return len(seen) >= count

    await eventually(all_there)


async def test_the_pinned_sdk_exposes_its_websocket_so_audio_takes_the_direct_path(
    appended: list[str], model: OpenAIRealtimeModel
) -> None:
    ws = model.websocket
    assert ws is not None, "the SDK no longer keeps a websockets connection: no fast path"
    sent = frames(200)
    awaited = count_awaited_sends(ws)
    for payload in sent:
        await model.append_audio(payload)
    assert awaited == []  # nothing had to wait: no frame took the SDK's awaited send
    await arrived(appended, len(sent))
    assert appended == sent


async def test_audio_waits_through_the_sdk_when_the_write_buffer_is_full(
    appended: list[str], model: OpenAIRealtimeModel
) -> None:
    ws = model.websocket
    assert ws is not None
    ws.write_limit_high = 0  # every write now counts as back-pressure
    assert write_now(ws, b"{}") is False
    awaited = count_awaited_sends(ws)
    sent = frames(20)
    for payload in sent:
        await model.append_audio(payload)
    await arrived(appended, len(sent))
    assert appended == sent
    assert len(awaited) == len(sent)


async def test_a_closed_model_connection_raises_instead_of_writing(
    model: OpenAIRealtimeModel,
) -> None:
    ws = model.websocket
    assert ws is not None
    await ws.close()
    assert write_now(ws, b"{}") is False
    with pytest.raises(ModelConnectionClosed):
        await model.append_audio(frames(1)[0])
