"""A consumer's pause while Postgres does not answer: rather than spin through deliveries
that would all fail the same way, the worker stops fetching until ``select 1`` works,
logging ``consumer_paused`` / ``consumer_resumed`` and holding the gauge
``ringbook_consumer_paused{consumer}`` at 1 meanwhile."""

from __future__ import annotations

import asyncio

import asyncpg

from ringbook.bus.metrics import CONSUMER_PAUSED
from ringbook.logging import get_logger

log = get_logger(__name__)


class PostgresPause:
    def __init__(self, *, pool: asyncpg.Pool, durable: str, probe_timeout_seconds: float,
                 pause_max_seconds: float) -> None:
        self._pool, self._durable = pool, durable
        self._probe_timeout, self._pause_max = probe_timeout_seconds, pause_max_seconds

    async def answers(self) -> bool:
        try:
            async with asyncio.timeout(self._probe_timeout):
                await self._pool.fetchval("select 1")
            return True
        except asyncio.CancelledError:
            raise
        except Exception:
            return False

    async def wait(self) -> None:
        log.warning("consumer_paused", consumer=self._durable,
                    reason="postgres does not answer")
        CONSUMER_PAUSED.labels(self._durable).set(1)
        delay = 0.2
        try:
            while not await self.answers():
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._pause_max)
        finally:
            CONSUMER_PAUSED.labels(self._durable).set(0)
        log.info("consumer_resumed", consumer=self._durable)
