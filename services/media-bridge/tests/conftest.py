"""media-bridge's tests share ``bridge_harness`` (the served app, the simulated model and
a fake call-orchestrator); pytest runs with --import-mode=importlib, so this folder is
put on the import path for it."""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

# Imported once the folder is on the path (above).
from collections.abc import AsyncIterator  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from bridge_harness import Bridge, run_bridge  # noqa: E402
from ringbook_devtools.testing.infra import ServerSet  # noqa: E402
from ringbook_simulators.realtime.session import RealtimeSession  # noqa: E402


@pytest.fixture
def appended(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every ``input_audio_buffer.append`` audio string the simulated model received
    (request it before anything that opens a model session)."""
    seen: list[str] = []
    original = RealtimeSession._append

    async def recording(self: RealtimeSession, data: dict[str, Any]) -> None:
        seen.append(data["audio"])
        await original(self, data)

    monkeypatch.setattr(RealtimeSession, "_append", recording)
    return seen


async def _bridge(infra: ServerSet, schema: str, model_speed: float) -> AsyncIterator[Bridge]:
    async for running in run_bridge(
        infra, schema, model_speed=model_speed, media_receive_timeout_seconds=10.0
    ):
        yield running


@pytest.fixture
async def fast_bridge(
    infra: ServerSet, fresh_schema: str, fresh_streams: None
) -> AsyncIterator[Bridge]:
    # The model speaks 10x faster than real time: whole conversations in seconds.
    async for running in _bridge(infra, fresh_schema, 10.0):
        yield running


@pytest.fixture
async def realtime_bridge(
    infra: ServerSet, fresh_schema: str, fresh_streams: None
) -> AsyncIterator[Bridge]:
    # Real-time speech, for what depends on timing (barge-in mid-sentence).
    async for running in _bridge(infra, fresh_schema, 1.0):
        yield running
