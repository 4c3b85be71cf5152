"""The analytics HTTP API: what dashboards read. Every query is scoped to the caller's
tenant, taken from the verified token and never from the request."""

from __future__ import annotations

from datetime import UTC, date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from ringbook.contracts.request_status import RequestStatus
from ringbook.web.routing import PlatformRoute
from ringbook.web.security import CurrentPrincipal

from analytics_service.adapters import request_facts_repository as facts
from analytics_service.domain.daily_counts import MAX_DAYS, MIN_DAYS, first_day, per_day
from analytics_service.entrypoints.dependencies import AnalyticsDep


class DayEntry(BaseModel):
    date: date
    total: int
    by_status: dict[RequestStatus, int]


class RequestsPerDay(BaseModel):
    data: list[DayEntry]


router = APIRouter(prefix="/api/analytics", tags=["analytics"], route_class=PlatformRoute)


@router.get("/requests-per-day", response_model=RequestsPerDay)
async def requests_per_day(
    analytics: AnalyticsDep,
    principal: CurrentPrincipal,
    days: Annotated[int, Query(ge=MIN_DAYS, le=MAX_DAYS)] = 30,
) -> RequestsPerDay:
    """Requests per UTC day over the last ``days`` days (today included), newest first,
    each with its count per current status; days without requests are omitted."""
    today = analytics.clock.now().astimezone(UTC).date()
    rows = await facts.requests_per_day(
        analytics.pool, tenant_id=principal.tenant_id, since=first_day(today, days)
    )
    return RequestsPerDay(
        data=[
            DayEntry(date=entry.day, total=entry.total, by_status=entry.by_status)
            for entry in per_day(rows)
        ]
    )
