"""Waiting in tests for something another task or process will make true."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def eventually(check: Callable[[], bool], within: float = 5.0) -> None:
    """Poll ``check`` until it holds; fail the test if it has not within ``within`` s.

    Polled rather than signalled: what is checked (a server's state, a list another
    connection fills) has no event to wait on, and 20 ms is far below any deadline."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
