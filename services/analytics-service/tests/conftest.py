"""The call log tests' service: analytics-service in-process on the real Postgres and
nats-server (see call_log_harness). pytest runs with --import-mode=importlib, so this
folder is put on the import path for the harness, as media-bridge's tests do."""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

# Imported once the folder is on the path (above).
from collections.abc import AsyncIterator  # noqa: E402

import pytest  # noqa: E402
from call_log_harness import CALL_LOG_NOW, CallLogService, running_analytics  # noqa: E402
from ringbook.clock import FakeClock  # noqa: E402
from ringbook_devtools.testing.infra import ServerSet  # noqa: E402


@pytest.fixture
async def call_log(
    infra: ServerSet, fresh_schema: str, fresh_streams: None
) -> AsyncIterator[CallLogService]:
    clock = FakeClock(CALL_LOG_NOW)
    async with running_analytics(infra, fresh_schema, clock) as (app, client, _):
        yield CallLogService(app, client, clock)
