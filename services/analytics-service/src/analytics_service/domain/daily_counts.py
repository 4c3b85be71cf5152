"""Requests per day, broken down by status: the shape dashboards read.

Pure: turns (day, status, count) rows into one entry per day with every status present
(zeros included, so a chart never has to guess at a missing series), newest day first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from ringbook.contracts.request_status import RequestStatus

MIN_DAYS, MAX_DAYS = 1, 366


@dataclass
class DayCounts:
    day: date
    by_status: dict[RequestStatus, int] = field(
        default_factory=lambda: dict.fromkeys(RequestStatus, 0)
    )

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def first_day(today: date, days: int) -> date:
    """The oldest day of a window of ``days`` days ending with (and including) today."""
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(f"days must be within {MIN_DAYS}..{MAX_DAYS}, got {days}")
    return today - timedelta(days=days - 1)


def per_day(rows: Iterable[tuple[date, str, int]]) -> list[DayCounts]:
    """Group rows by day; days without requests are absent, newest first."""
    by_day: dict[date, DayCounts] = {}
    for day, status, count in rows:
        entry = by_day.setdefault(day, DayCounts(day))
        entry.by_status[RequestStatus(status)] += count
    return [by_day[d] for d in sorted(by_day, reverse=True)]
