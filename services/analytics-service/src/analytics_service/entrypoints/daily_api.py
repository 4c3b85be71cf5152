"""``/api/analytics/daily`` (what the dashboard page draws) and ``/api/analytics/cost``
(cost per day and tenant): the call log per UTC day over a window of days, for the
caller's tenant and optionally one of its clients. docs/analytics.md defines each figure.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Query
from pydantic import BaseModel
from ringbook.contracts.call_log import Sentiment
from ringbook.web.errors import ErrorOut
from ringbook.web.routing import PlatformRoute
from ringbook.web.security import CurrentPrincipal

from analytics_service.adapters import daily_queries as queries
from analytics_service.domain.daily_counts import MAX_DAYS, MIN_DAYS, first_day
from analytics_service.domain.daily_figures import DayFigures, daily_series, days_of
from analytics_service.entrypoints.dependencies import AnalyticsDep

Days = Annotated[int, Query(ge=MIN_DAYS, le=MAX_DAYS, description="the window, today included")]
ClientFilter = Annotated[uuid.UUID | None, Query(description="one of the tenant's clients")]


class Day(BaseModel):
    date: date
    calls: int
    success_rate: float | None
    sentiment: dict[Sentiment, int]
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    cost: float

    @classmethod
    def of(cls, figures: DayFigures) -> Day:
        return cls(date=figures.day, **{k: v for k, v in vars(figures).items() if k != "day"})


class Window(BaseModel):
    calls: int
    success_rate: float | None
    sentiment: dict[Sentiment, int]
    avg_sentiment: Sentiment | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    cost: float


class DailyReport(BaseModel):
    days: int
    client_id: uuid.UUID | None
    currency: str
    data: list[Day]
    totals: Window


class CostOnDay(BaseModel):
    date: date
    calls: int
    billed_minutes: int
    carrier: float
    model: float
    total: float


class CostTotals(BaseModel):
    calls: int
    billed_minutes: int
    carrier: float
    model: float
    total: float


class CostReport(BaseModel):
    days: int
    client_id: uuid.UUID | None
    currency: str
    data: list[CostOnDay]
    totals: CostTotals


router = APIRouter(prefix="/api/analytics", tags=["analytics"], route_class=PlatformRoute,
                   responses={401: {"model": ErrorOut}})


def _window(analytics: AnalyticsDep, days: int) -> tuple[date, date]:
    today = analytics.clock.now().astimezone(UTC).date()
    return first_day(today, days), today


@router.get("/daily")
async def daily(analytics: AnalyticsDep, principal: CurrentPrincipal, days: Days = 30,
                client_id: ClientFilter = None) -> DailyReport:
    """Every UTC day of the window, oldest first (days without calls as zeros), and the
    window's totals: calls, success rate, sentiment, response latency p50/p95 and cost."""
    first, last = _window(analytics, days)
    currency = analytics.prices.currency
    rows = await queries.daily(analytics.pool, tenant_id=principal.tenant_id,
                               client_id=client_id, since=first, currency=currency)
    series, whole = daily_series([dict(row) for row in rows], first, last)
    totals = Window(**{k: v for k, v in vars(whole).items() if k != "day"})
    return DailyReport(days=days, client_id=client_id, currency=currency,
                       data=[Day.of(day) for day in series], totals=totals)


@router.get("/cost")
async def cost(analytics: AnalyticsDep, principal: CurrentPrincipal, days: Days = 30,
               client_id: ClientFilter = None) -> CostReport:
    """Our own calls' cost per UTC day (days without priced calls as zeros), in the
    currency of the current prices, split into carrier and model."""
    first, last = _window(analytics, days)
    currency = analytics.prices.currency
    rows = await queries.cost_per_day(analytics.pool, tenant_id=principal.tenant_id,
                                      client_id=client_id, since=first, currency=currency)
    by_day = {row["day"]: row for row in rows if row["day"] is not None}
    whole = next((row for row in rows if row["day"] is None), None)

    def amounts(row: asyncpg.Record | None) -> dict[str, float | int]:
        if row is None:
            return {"calls": 0, "billed_minutes": 0, "carrier": 0.0, "model": 0.0, "total": 0.0}
        return {name: row[name] for name in
                ("calls", "billed_minutes", "carrier", "model", "total")}

    return CostReport(
        days=days, client_id=client_id, currency=currency,
        data=[CostOnDay(date=day, **amounts(by_day.get(day))) for day in days_of(first, last)],
        totals=CostTotals(**amounts(whole)))
