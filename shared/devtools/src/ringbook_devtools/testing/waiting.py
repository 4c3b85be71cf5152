"""Waiting in tests for something another task or process will make true.

``eventually`` is the one polling helper of the test suite: every "wait until it
happened" goes through it, so every wait has a deadline and every failure says what was
awaited and what was last seen.

It only ever waits for something to become TRUE. "Nothing else happened" is never
proved by waiting (a sleep proves only that the machine was fast that day): a test
proves it with a sentinel, a later event that travels the same path and is awaited with
``eventually``, after which the absence is asserted, or by driving the loop under the
``FakeClock`` (:mod:`ringbook.clock`).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

Check = Callable[[], bool | Awaitable[bool]]


class NotReached(AssertionError):
    """The awaited condition did not hold before the deadline (a test failure)."""


async def eventually(
    check: Check,
    within: float = 10.0,
    *,
    what: str | Callable[[], object] = "the condition",
    poll: float = 0.02,
) -> None:
    """Poll ``check`` (a plain or an async predicate) until it holds; fail the test with
    :class:`NotReached` if it has not within ``within`` seconds.

    ``what`` names what is awaited; a callable is asked at failure time, so it can show
    the last value a check saw (a timeline so far, the last response). ``poll`` is the
    pause between checks: 20 ms suits an in-memory check; a check that makes a request
    (HTTP, a stream read) should pause longer, so waiting does not load the two cores the
    system under test runs on.

    Polled rather than signalled: what is checked (a server's state, a list another
    connection fills) has no event to wait on, and the pause is far below any deadline.
    """
    deadline = time.monotonic() + within
    while True:
        outcome = check()
        held = await outcome if inspect.isawaitable(outcome) else outcome
        if held:
            return
        if time.monotonic() >= deadline:
            detail = what() if callable(what) else what
            raise NotReached(f"not reached within {within} s: {detail}")
        await asyncio.sleep(poll)
