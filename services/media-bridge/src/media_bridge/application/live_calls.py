"""The calls one media-bridge process is serving, and whether it still takes new ones.

A process being replaced (a rollout's SIGTERM) must not cut the calls it carries: a
phone call cannot move to another replica. So it drains (:meth:`LiveCalls.drain`):
from the first moment it refuses new streams (the endpoint refuses the upgrade, and
:class:`DrainingGate` the ``start`` of a socket accepted just before), while the calls
under way go on until they end by themselves. Those still going after the drain's
deadline are ended the way a hang-up ends them (``EndReason.SHUTDOWN``: report and
``call_completed``, then the hang-up), and the drain returns once their ends have run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Protocol

from ringbook.logging import get_logger
from ringbook.stream_tokens import StreamGrant

from media_bridge.application.ports import StreamGate
from media_bridge.application.stream_admission import STREAMS_REFUSED
from media_bridge.domain.call_stream import EndReason, StreamRefused

log = get_logger(__name__)
DRAINING = "draining"


class EndableCall(Protocol):
    def end(self, reason: EndReason) -> None:
        """End the call from another task; its own end path reports it."""
        ...


class LiveCalls:
    def __init__(self) -> None:
        self._calls: set[EndableCall] = set()
        self._none_left = asyncio.Event()
        self._none_left.set()
        self.draining = False

    def __len__(self) -> int:
        return len(self._calls)

    @contextmanager
    def serving(self, call: EndableCall) -> Iterator[None]:
        """``call`` counts as live for the block (its whole socket, end path included)."""
        self._calls.add(call)
        self._none_left.clear()
        try:
            yield
        finally:
            self._calls.discard(call)
            if not self._calls:
                self._none_left.set()

    def refused(self, where: str) -> bool:
        """Whether a new stream must be refused now (counted and logged if so)."""
        if not self.draining:
            return False
        STREAMS_REFUSED.labels(DRAINING).inc()
        log.warning("media_stream_refused", reason=DRAINING, at=where)
        return True

    async def drain(self, timeout_seconds: float) -> None:
        """Refuse new streams; return once every live call has ended, ending those still
        going after ``timeout_seconds``."""
        self.draining = True
        log.info("drain_waiting_for_calls", calls=len(self._calls),
                 timeout_seconds=timeout_seconds)
        try:
            async with asyncio.timeout(timeout_seconds):
                await self._none_left.wait()
        except TimeoutError:
            log.warning("drain_timeout_ending_calls", calls=len(self._calls))
        else:
            return
        for call in list(self._calls):
            call.end(EndReason.SHUTDOWN)
        # Bounded by each call's own end (its report's and hang-up's deadlines).
        await self._none_left.wait()


class DrainingGate:
    """A :class:`StreamGate` that refuses every ``start`` once the process drains, and
    otherwise asks the real admission."""

    def __init__(self, inner: StreamGate, calls: LiveCalls) -> None:
        self._inner, self._calls = inner, calls

    async def admit(self, call_sid: str, parameters: Mapping[str, str]) -> StreamGrant:
        if self._calls.refused("start"):
            raise StreamRefused(DRAINING)
        return await self._inner.admit(call_sid, parameters)
