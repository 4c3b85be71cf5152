"""Named rate limits per key (a business, a tenant), over the ``limits`` library's moving
window, and the 429 they answer.

A moving window counts the hits of the last full window at every moment, so a burst
straddling a minute boundary cannot take twice the limit (a fixed window lets it). The
counters are in memory, one set per process: behind N replicas a business gets up to N
times its limit, which is what these limits are for (keeping one caller from flooding
a replica), not an exact quota; docs/operations.md says so.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from ringbook.web.errors import ApiError


class RateLimitExceeded(Exception):
    def __init__(self, name: str, limit: str, retry_after: int) -> None:
        super().__init__(f"{name}: over {limit}")
        self.name, self.limit, self.retry_after = name, limit, retry_after

    def as_api_error(self) -> ApiError:
        return ApiError(
            429, "Too many requests",
            {"limit": self.limit, "scope": self.name, "retry_after_seconds": self.retry_after},
            headers={"Retry-After": str(self.retry_after)},
        )


class RateLimits:
    """``RateLimits({"function_handler": "30/minute"})``; a limit of ``""`` is off."""

    def __init__(self, limits: Mapping[str, str]) -> None:
        # parse() raises ValueError on a malformed limit: settings fail at start-up.
        self._items: dict[str, RateLimitItem] = {
            name: parse(text) for name, text in limits.items() if text
        }
        self._texts = dict(limits)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, name: str, key: str) -> None:
        """Count one use of ``name`` by ``key``; raises RateLimitExceeded when over."""
        item = self._items.get(name)
        if item is None:
            return
        if self._limiter.hit(item, name, key):
            return
        stats = self._limiter.get_window_stats(item, name, key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimitExceeded(name, self._texts[name], retry_after)
