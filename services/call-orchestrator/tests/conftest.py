"""call-orchestrator's flow tests share ``flow_harness``; pytest runs with
--import-mode=importlib, so this folder is put on the import path for it."""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

# Imported once the folder is on the path (above).
import uuid  # noqa: E402
from collections.abc import AsyncIterator  # noqa: E402

import nats  # noqa: E402
import pytest  # noqa: E402
from flow_harness import MONDAY_10_BERLIN, Harness, orchestrator  # noqa: E402
from ringbook.clock import FakeClock  # noqa: E402
from ringbook_devtools.testing.infra import ServerSet  # noqa: E402
from ringbook_simulators.carrier.settings import CarrierSettings  # noqa: E402
from ringbook_simulators.carrier.testing import MediaStreamRecorder, running_carrier  # noqa: E402


@pytest.fixture
async def harness(
    infra: ServerSet, fresh_schema: str, fresh_streams: None
) -> AsyncIterator[Harness]:
    clock = FakeClock(MONDAY_10_BERLIN)
    carrier_settings = CarrierSettings(
        ring_seconds=0.3, answered_hold_seconds=1.0, answer_after_seconds=0.1
    )
    media = MediaStreamRecorder(auth_token=carrier_settings.auth_token)
    nc = await nats.connect(infra.nats_url)
    async with running_carrier(carrier_settings) as (carrier_url, _), media.serving() as m_url:
        async with orchestrator(infra, fresh_schema, clock, carrier_url, m_url) as url:
            yield Harness(url, clock, nc.jetstream(), media, carrier_url, uuid.uuid4())
    await nc.close()
