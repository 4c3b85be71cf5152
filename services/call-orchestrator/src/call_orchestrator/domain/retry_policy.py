"""When to retry a failed call: spaced by a fixed delay and never outside business hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ringbook.weekly_hours import WeeklyHours, ensure_aware


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    delay: timedelta

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.delay < timedelta(0):
            raise ValueError(f"delay must not be negative, got {self.delay}")

    def next_attempt_at(
        self,
        *,
        failed_attempt: int,
        failed_at: datetime,
        hours: WeeklyHours,
        tz: ZoneInfo,
    ) -> datetime | None:
        """UTC instant of the next attempt, or None once `max_attempts` have been used.

        `failed_attempt` is 1-based: the first call is attempt 1.
        """
        if failed_attempt < 1:
            raise ValueError(f"failed_attempt is 1-based, got {failed_attempt}")
        if failed_attempt >= self.max_attempts:
            return None
        # Add the delay in UTC: adding to a datetime in a DST zone is wall-clock arithmetic and
        # could space the retry by less (or more) than `delay` of real time.
        earliest = ensure_aware(failed_at).astimezone(UTC) + self.delay
        return hours.next_opening(earliest, tz)
