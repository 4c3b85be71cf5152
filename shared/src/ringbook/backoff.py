"""The retry schedule of background jobs that call a model (post-call analysis, lead
analysis): exponential backoff with a cap on the delay and on the attempts, so a failing
model is asked less and less often, and a job that can never succeed ends, visibly
``failed``, instead of retrying forever."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class BackoffPolicy:
    """Attempt n (1-based) that failed waits ``base * 2**(n-1)`` (at most ``max_delay``)
    before the next; after ``max_attempts`` failures the job is failed for good."""

    base_seconds: float
    max_delay_seconds: float
    max_attempts: int

    def after_failure(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after ``attempts`` failures in all; None: give up."""
        if attempts >= self.max_attempts:
            return None
        delay = min(self.base_seconds * 2 ** max(attempts - 1, 0), self.max_delay_seconds)
        return now + timedelta(seconds=delay)
