"""A call's receive timeout: silence from Twilio longer than it ends the stream."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class IdleWatch:
    """One timer per call that re-arms itself at the last frame's time plus the
    timeout. A per-frame ``asyncio.timeout`` would reschedule a timer 50 times a second
    per call: a tenth of the bridge's CPU at 100 calls. ``heard`` is all a frame costs."""

    def __init__(self, timeout: float, on_idle: Callable[[], None]) -> None:
        self.timeout = timeout
        self._on_idle = on_idle
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_heard = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._loop = loop = asyncio.get_running_loop()
        self._last_heard = loop.time()
        self._timer = loop.call_at(self._last_heard + self.timeout, self._check)

    def heard(self) -> None:
        """A frame has come in."""
        if self._loop is not None:
            self._last_heard = self._loop.time()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _check(self) -> None:
        assert self._loop is not None
        due = self._last_heard + self.timeout
        if self._loop.time() < due:
            self._timer = self._loop.call_at(due, self._check)
            return
        self._timer = None
        self._on_idle()
