"""How a call ends when something goes away, at each stage: Twilio's stop, Twilio's socket
dropping before or after start, the model unreachable when the call starts, the model's
socket dying mid-call. Every started call is hung up and reported (call_completed) within
5 s; nothing of a call outlives it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import orjson
import pytest
from bridge_harness import INTERNAL_TOKEN, Bridge, eventually, free_port, run_bridge
from ringbook_devtools.testing.infra import ServerSet
from ringbook_simulators.carrier import media_stream_client as sim
from twilio_peer import SILENCE, TENANT, Twilio, completed_within


@pytest.fixture
async def unreachable_model_bridge(
    infra: ServerSet, fresh_schema: str, fresh_streams: None
) -> AsyncIterator[Bridge]:
    # Nothing listens on that port: every model connection is refused at once.
    async for running in run_bridge(
        infra, fresh_schema, openai_base_url=f"http://127.0.0.1:{free_port()}/v1",
        realtime_connect_timeout_seconds=2.0, media_receive_timeout_seconds=10.0,
    ):
        yield running


async def hung_up(bridge: Bridge, call_sid: str, *, within: float) -> None:
    """The hang-up is asked once the report is in (after ``call_completed`` is stored,
    so possibly after the test saw it): waited for, within what is left of the 5 s."""
    async def asked() -> bool:
        return bool(bridge.hangups)

    await eventually(asked, max(within, 0.1), what="the hang-up")
    assert bridge.hangups == [(call_sid, f"Bearer {INTERNAL_TOKEN}")]


async def test_stop_emits_call_completed_within_5_seconds(
    fast_bridge: Bridge, infra: ServerSet
) -> None:
    async with fast_bridge.connect() as ws:
        twilio = Twilio(ws, 3)
        await twilio.start(direction="inbound", tenant_id=str(TENANT))
        await twilio.frames([SILENCE] * 10)
        await twilio.stop()
        stopped = time.monotonic()
        completed = await completed_within(fast_bridge, 5)
    assert time.monotonic() - stopped < 5
    assert completed["outcome"].startswith("caller_hung_up")
    assert fast_bridge.model.sessions[0].record.errors == []


async def test_model_socket_dying_ends_the_call(fast_bridge: Bridge) -> None:
    async with fast_bridge.connect() as ws:
        twilio = Twilio(ws, 4)
        await twilio.start(direction="inbound", tenant_id=str(TENANT))
        await twilio.frames([SILENCE] * 5)

        async def model_connected() -> bool:
            return bool(fast_bridge.model.sessions)

        await eventually(model_connected)
        await fast_bridge.model.stop()  # the model's websocket dies
        died = time.monotonic()
        completed = await completed_within(fast_bridge, 5)
        await asyncio.wait_for(ws.wait_closed(), 5)
    assert time.monotonic() - died < 5
    assert completed["outcome"].startswith("model_disconnected")
    await hung_up(fast_bridge, twilio.call_sid, within=5 - (time.monotonic() - died))


async def test_twilio_socket_dropping_ends_the_call(fast_bridge: Bridge) -> None:
    ws = await fast_bridge.connect()
    twilio = Twilio(ws, 5)
    await twilio.start(direction="inbound", tenant_id=str(TENANT))
    await twilio.frames([SILENCE] * 5)
    ws.transport.abort()  # no close frame, no stop: the connection just drops
    completed = await completed_within(fast_bridge, 5)
    assert completed["outcome"].startswith("caller_hung_up")

    async def model_closed() -> bool:
        return not fast_bridge.model.sessions[0]._tasks.running
    await eventually(model_closed, 5)


async def test_an_unreachable_model_ends_the_call_as_soon_as_it_starts(
    unreachable_model_bridge: Bridge,
) -> None:
    bridge = unreachable_model_bridge
    async with bridge.connect() as ws:
        twilio = Twilio(ws, 7)
        started = time.monotonic()
        await twilio.start(direction="inbound", tenant_id=str(TENANT))
        await asyncio.wait_for(ws.wait_closed(), 5)
        completed = await completed_within(bridge, 5)
    assert time.monotonic() - started < 5
    assert completed["outcome"].startswith("model_disconnected")
    await hung_up(bridge, twilio.call_sid, within=5 - (time.monotonic() - started))


async def test_twilio_dropping_before_start_costs_no_model_session_and_reports_nothing(
    fast_bridge: Bridge,
) -> None:
    ws = await fast_bridge.connect()
    await ws.send(orjson.dumps(sim.connected_message()).decode())
    ws.transport.abort()
    # A sentinel call after it: once it is reported, the dropped socket's handler is
    # long done, and it is the only call the bridge acted on.
    async with fast_bridge.connect() as sentinel_ws:
        sentinel = Twilio(sentinel_ws, 8)
        await sentinel.start(direction="inbound", tenant_id=str(TENANT))
        await sentinel.frames([SILENCE] * 5)
        await sentinel.stop()
        await completed_within(fast_bridge, 5)

    async def sentinel_hung_up() -> bool:  # asked once its report is in
        return bool(fast_bridge.hangups)

    await eventually(sentinel_hung_up, 5)
    # The model is dialled only for an admitted start: nothing before it.
    assert len(fast_bridge.model.sessions) == 1
    assert fast_bridge.hangups == [(sentinel.call_sid, f"Bearer {INTERNAL_TOKEN}")]
    assert await fast_bridge.pool.fetchval(
        "select count(*) from events where type = 'call_completed'") == 1
