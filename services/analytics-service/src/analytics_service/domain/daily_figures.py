"""The dashboard's per-day series: every day of the window present, oldest first, so a
chart's x axis is the window itself (a day without calls is a zero, not a gap), except
for the figures a day without calls has none of (success rate, latency): None.

Pure: the rows are plain mappings, as the queries return them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ringbook.contracts.call_log import Sentiment

from analytics_service.domain.figures import avg_sentiment, sentiment_counts, success_rate


@dataclass(frozen=True)
class DayFigures:
    day: date
    calls: int
    success_rate: float | None
    sentiment: dict[Sentiment, int]
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    cost: float


@dataclass(frozen=True)
class WindowFigures(DayFigures):
    avg_sentiment: Sentiment | None


def _rate(successes: int, known: int) -> float | None:
    """``figures.success_rate``, but None when no call's success is known yet (a chart
    leaves a gap rather than draw a false 0 %)."""
    return success_rate(successes, known) if known else None


def _ms(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def _figures(day: date, row: Mapping[str, Any] | None) -> DayFigures:
    if row is None:
        return DayFigures(day, 0, None, sentiment_counts({}), None, None, 0.0)
    return DayFigures(
        day=day, calls=int(row["calls"]),
        success_rate=_rate(int(row["successes"]), int(row["known"])),
        sentiment=_sentiments(row),
        latency_p50_ms=_ms(row["p50_ms"]), latency_p95_ms=_ms(row["p95_ms"]),
        cost=round(float(row["cost"]), 6))


def _sentiments(row: Mapping[str, Any]) -> dict[Sentiment, int]:
    return sentiment_counts({"POSITIVE": row["positive"], "NEGATIVE": row["negative"],
                             "NEUTRAL": row["neutral"]})


def days_of(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def daily_series(rows: Sequence[Mapping[str, Any]], first: date, last: date
                 ) -> tuple[list[DayFigures], WindowFigures]:
    """``rows``: the per-day rows (``day`` set) and the window's row (``day`` None)."""
    by_day = {row["day"]: row for row in rows if row["day"] is not None}
    window = next((row for row in rows if row["day"] is None), None)
    series = [_figures(day, by_day.get(day)) for day in days_of(first, last)]
    whole = _figures(last, window)
    return series, WindowFigures(**vars(whole), avg_sentiment=avg_sentiment(
        {str(label): n for label, n in whole.sentiment.items()}))
