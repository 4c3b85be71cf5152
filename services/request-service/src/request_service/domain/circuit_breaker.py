"""A circuit breaker per upstream: after enough consecutive failures, stop trying for a
while and answer at once.

Without it an upstream that vanished without a reset (a blackholed host) costs every
request the whole connect timeout and holds a connection slot meanwhile, so one dead
service can exhaust the gateway's pool for all the others. Open, the circuit answers
503 with Retry-After immediately. Once the open period has passed, requests go through
again ("half-open"); the first success closes the circuit, a failure opens it again at
once (the failure count is only reset by a success).

Pure: the time is an argument (seconds on any monotonic scale), so it is tested by
numbers and driven by the service's clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CircuitBreaker:
    failure_threshold: int
    open_seconds: float
    _failures: int = field(default=0, init=False)
    _open_until: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.failure_threshold < 1 or self.open_seconds <= 0:
            raise ValueError("a circuit needs a threshold >= 1 and an open period > 0")

    def retry_after(self, now: float) -> float | None:
        """Seconds until requests may be tried again, or None if they may now."""
        if self._open_until is None or now >= self._open_until:
            return None
        return self._open_until - now

    def record_success(self) -> None:
        self._failures, self._open_until = 0, None

    def record_failure(self, now: float) -> bool:
        """Count a failure; True when it (re)opens the circuit."""
        self._failures += 1
        if self._failures < self.failure_threshold:
            return False
        self._open_until = now + self.open_seconds
        return True
