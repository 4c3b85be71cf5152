"""Waiting in tests for something another task or process will make true."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable


async def eventually(
    check: Callable[[], bool | Awaitable[bool]], within: float = 5.0
) -> None:
    """Poll ``check`` until it holds; fail the test if it has not within ``within`` s.

    ``check`` may be a coroutine function (a query against a server). Polled rather
    than signalled: what is checked (a server's state, a list another connection fills)
    has no event to wait on, and 20 ms is far below any deadline."""
    deadline = time.monotonic() + within
    while True:
        held = check()
        if inspect.isawaitable(held):
            held = await held
        if held:
            return
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
