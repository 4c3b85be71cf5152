"""media-bridge drains on SIGTERM: a real process (``python -m media_bridge.entrypoints.main``)
serving a live call gets the signal a Kubernetes rollout sends it.

The call goes on (audio both ways) until Twilio's ``stop``, its ``call_completed`` is
published, and the process then exits 0; meanwhile ``/ready`` answers 503 ("draining")
while ``/health`` stays 200, a new stream's upgrade is refused, and so is the ``start``
of a socket accepted just before the signal. A call that outlasts
``DRAIN_TIMEOUT_SECONDS`` is ended as a hang-up would end it; a second SIGTERM is
today's prompt shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from bridge_harness import (
    INTERNAL_TOKEN,
    STREAM_TOKEN_SECRET,
    TWILIO_AUTH_TOKEN,
    FakeOrchestrator,
    _serve,
    eventually,
    twilio_signature,
)
from ringbook.bus.reading import subject_events
from ringbook.contracts.streams import CALLS
from ringbook_devtools.processes import free_port, stop_process
from ringbook_devtools.testing.infra import ServerSet
from ringbook_simulators.realtime import RealtimeModelSimulator
from twilio_peer import Twilio
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

POLICY_VIOLATION = 1008  # how a refused `start` is closed


@dataclass
class BridgeProcess:
    proc: subprocess.Popen[bytes]
    base_url: str
    stream_url: str
    orchestrator: FakeOrchestrator
    log: Path

    def connect(self) -> connect:
        return connect(self.stream_url,
                       additional_headers={"X-Twilio-Signature": twilio_signature(self.stream_url)})

    async def probe(self, path: str) -> httpx.Response:
        async with httpx.AsyncClient(timeout=2) as client:
            return await client.get(self.base_url + path)

    async def exited(self, within: float) -> int:
        async def gone() -> bool:
            return self.proc.poll() is not None

        await eventually(gone, within, what=lambda: self.log.read_text()[-3000:], poll=0.1)
        code = self.proc.returncode
        assert code is not None
        return code


@pytest.fixture
def spawn(infra: ServerSet, fresh_schema: str, fresh_streams: None,
          tmp_path: Path) -> Iterator[Any]:
    """Starts media-bridge processes (stopped at the end if still running)."""
    started: list[subprocess.Popen[bytes]] = []

    def start(model_url: str, orchestrator_url: str,
                    **extra: str) -> tuple[subprocess.Popen[bytes], str, str, Path]:
        port = free_port()
        stream_url = f"ws://127.0.0.1:{port}/media-stream"
        env = {
            **os.environ,
            "ENVIRONMENT": "development",
            "DATABASE_URL": infra.database_url,
            "DB_SCHEMA": fresh_schema,
            "DB_POOL_MIN": "1",
            "DB_POOL_MAX": "5",
            "NATS_URL": infra.nats_url,
            "NATS_MONITOR_URL": infra.nats_monitor_url,
            "LOG_JSON": "false",
            "HTTP_PORT": str(port),
            "OPENAI_BASE_URL": model_url,
            "ORCHESTRATOR_URL": orchestrator_url,
            "INTERNAL_TOKEN": INTERNAL_TOKEN,
            "TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
            "MEDIA_STREAM_TOKEN_SECRET": STREAM_TOKEN_SECRET,
            "MEDIA_STREAM_URL": stream_url,
            "MEDIA_RECEIVE_TIMEOUT_SECONDS": "30",
            **extra,
        }
        log = tmp_path / f"media-bridge-{port}.log"
        with log.open("ab") as out:
            proc = subprocess.Popen([sys.executable, "-m", "media_bridge.entrypoints.main"],
                                    env=env, stdout=out, stderr=subprocess.STDOUT)
        started.append(proc)
        return proc, f"http://127.0.0.1:{port}", stream_url, log

    yield start
    for proc in started:
        stop_process(proc)


@pytest.fixture
async def bridge_process(spawn: Any, request: pytest.FixtureRequest
                         ) -> AsyncIterator[BridgeProcess]:
    extra: dict[str, str] = getattr(request, "param", {})
    orchestrator = FakeOrchestrator()
    orch_server, orch_serving, orch_port = await _serve(orchestrator.app())
    async with RealtimeModelSimulator(speed=1.0) as model:
        proc, base_url, stream_url, log = spawn(
            model.base_url, f"http://127.0.0.1:{orch_port}", **extra)
        bridge = BridgeProcess(proc, base_url, stream_url, orchestrator, log)

        async def ready() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"media-bridge exited: {log.read_text()[-3000:]}")
            try:
                return (await bridge.probe("/ready")).status_code == 200
            except httpx.HTTPError:
                return False

        await eventually(ready, 60, poll=0.2)
        try:
            yield bridge
        finally:
            stop_process(proc)
    orchestrator.answering.set()
    orch_server.should_exit = True
    await orch_serving


async def call_completed(infra: ServerSet, call_sid: str) -> dict[str, Any] | None:
    nc = await nats.connect(infra.nats_url)
    try:
        events = await subject_events(
            nc.jetstream(), CALLS.subject_filter(event_type="call_completed"),
            stream=CALLS.name)
    finally:
        await nc.close()
    for event in events:
        data = event.data.model_dump(mode="json")
        if data.get("call_sid") == call_sid:
            return data
    return None


async def live_call(bridge: BridgeProcess, ws: Any, n: int) -> Twilio:
    """A call under way: started, the caller spoke and the agent answered."""
    twilio = Twilio(ws, n)
    await twilio.start()
    await twilio.say()
    await twilio.agent_finished(after=0)
    return twilio


async def test_a_live_call_survives_sigterm_until_it_ends_then_the_process_exits_0(
    bridge_process: BridgeProcess, infra: ServerSet
) -> None:
    async with bridge_process.connect() as ws, bridge_process.connect() as early:
        twilio = await live_call(bridge_process, ws, 1)
        # `early`'s upgrade was accepted before the signal; its `start` comes after.
        bridge_process.proc.send_signal(signal.SIGTERM)

        async def draining() -> bool:
            return (await bridge_process.probe("/ready")).status_code == 503

        await eventually(draining)
        unready = await bridge_process.probe("/ready")
        assert unready.json()["details"]["drain"] == "draining"
        assert (await bridge_process.probe("/health")).status_code == 200

        # A new call placed now is refused by this process: its upgrade fails.
        with pytest.raises(InvalidStatus) as refused:
            async with bridge_process.connect():
                pytest.fail("a draining media-bridge accepted a new stream")
        assert refused.value.response.status_code == 403
        await Twilio(early, 9).start()
        await asyncio.wait_for(early.wait_closed(), 5)
        assert early.close_code == POLICY_VIOLATION

        # The live call goes on: the caller is heard and the agent answers again.
        heard = len(twilio.media)
        await twilio.say()
        await twilio.agent_finished(after=heard)
        assert bridge_process.proc.poll() is None
        await twilio.stop()
        await ws.wait_closed()

    await reported_completed(infra, twilio.call_sid)
    assert await bridge_process.exited(30) == 0


async def reported_completed(infra: ServerSet, call_sid: str) -> dict[str, Any]:
    """The call's call_completed, once it is on NATS."""
    completed: dict[str, Any] | None = None

    async def reported() -> bool:
        nonlocal completed
        completed = await call_completed(infra, call_sid)
        return completed is not None

    await eventually(reported, 15, poll=0.2)
    assert completed is not None
    return completed


@pytest.mark.parametrize("bridge_process", [{"DRAIN_TIMEOUT_SECONDS": "2"}], indirect=True)
async def test_a_call_outlasting_the_drain_timeout_is_ended_like_a_hang_up(
    bridge_process: BridgeProcess, infra: ServerSet
) -> None:
    async with bridge_process.connect() as ws:
        twilio = await live_call(bridge_process, ws, 2)
        bridge_process.proc.send_signal(signal.SIGTERM)
        # Nobody hangs up: the drain's deadline ends the call.
        await ws.wait_closed()
    await reported_completed(infra, twilio.call_sid)
    assert [sid for sid, _ in bridge_process.orchestrator.hangups] == [twilio.call_sid]
    assert await bridge_process.exited(30) == 0


async def test_a_second_sigterm_shuts_down_promptly(bridge_process: BridgeProcess) -> None:
    async with bridge_process.connect() as ws:
        await live_call(bridge_process, ws, 3)
        bridge_process.proc.send_signal(signal.SIGTERM)

        async def draining() -> bool:
            return (await bridge_process.probe("/ready")).status_code == 503

        await eventually(draining)
        bridge_process.proc.send_signal(signal.SIGTERM)
        # The call is cut by the shutdown (the bridge closes its socket), not drained.
        await ws.wait_closed()
    assert await bridge_process.exited(30) == -signal.SIGTERM
