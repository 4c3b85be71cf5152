"""Seed 002's analytics: ``/api/analytics/dashboard``, ``/calls-per-day``, ``/sentiment``
and ``/client/{id}/stats``, from the call log's views. Every figure is defined in
``domain.figures`` and docs/analytics.md; an empty tenant answers zeros."""

from __future__ import annotations

import uuid
from datetime import UTC, date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from ringbook.contracts.call_log import Sentiment
from ringbook.web.errors import ApiError, ErrorOut
from ringbook.web.routing import PlatformRoute
from ringbook.web.security import CurrentPrincipal

from analytics_service.adapters import call_log_queries as queries
from analytics_service.domain.daily_counts import MAX_DAYS, MIN_DAYS, first_day
from analytics_service.domain.figures import avg_sentiment, sentiment_counts, success_rate
from analytics_service.entrypoints.dependencies import AnalyticsDep


class Dashboard(BaseModel):
    total_calls: int
    total_duration: float
    success_rate: float
    avg_sentiment: Sentiment | None
    total_clients: int


class CallsOnDay(BaseModel):
    date: date
    calls: int


class CallsPerDay(BaseModel):
    data: list[CallsOnDay]


class ClientStats(BaseModel):
    client_id: uuid.UUID
    client_name: str
    total_calls: int
    total_duration: float
    success_rate: float
    avg_stt_latency_ms: float | None
    avg_llm_latency_ms: float | None
    avg_tts_latency_ms: float | None


router = APIRouter(prefix="/api/analytics", tags=["analytics"], route_class=PlatformRoute,
                   responses={code: {"model": ErrorOut} for code in (401, 404)})


@router.get("/dashboard")
async def dashboard(analytics: AnalyticsDep, principal: CurrentPrincipal) -> Dashboard:
    tenant = principal.tenant_id
    row = await queries.totals(analytics.pool, tenant_id=tenant)
    counts = await queries.sentiment_counts(analytics.pool, tenant_id=tenant)
    return Dashboard(
        total_calls=row["calls"], total_duration=round(row["duration"], 1),
        success_rate=success_rate(row["successes"], row["known"]),
        avg_sentiment=avg_sentiment(counts), total_clients=row["clients"])


@router.get("/calls-per-day")
async def calls_per_day(
    analytics: AnalyticsDep,
    principal: CurrentPrincipal,
    days: Annotated[int, Query(ge=MIN_DAYS, le=MAX_DAYS)] = 30,
) -> CallsPerDay:
    """Calls per UTC day of their start over the last ``days`` days (today included),
    newest first; days without calls are omitted."""
    today = analytics.clock.now().astimezone(UTC).date()
    rows = await queries.calls_per_day(analytics.pool, tenant_id=principal.tenant_id,
                                       since=first_day(today, days))
    return CallsPerDay(data=[CallsOnDay(date=d, calls=n) for d, n in rows])


@router.get("/sentiment")
async def sentiment(analytics: AnalyticsDep, principal: CurrentPrincipal
                    ) -> dict[Sentiment, int]:
    """Calls per sentiment (all three keys, zeros included)."""
    return sentiment_counts(await queries.sentiment_counts(
        analytics.pool, tenant_id=principal.tenant_id))


@router.get("/client/{client_id}/stats")
async def client_stats(client_id: uuid.UUID, analytics: AnalyticsDep,
                       principal: CurrentPrincipal) -> ClientStats:
    row = await queries.client_stats(analytics.pool, tenant_id=principal.tenant_id,
                                     client_id=client_id)
    if row is None:
        raise ApiError(404, "Client not found")

    def rounded(value: float | None) -> float | None:
        return round(value, 1) if value is not None else None

    return ClientStats(
        client_id=row["client_id"], client_name=row["client_name"],
        total_calls=row["total_calls"], total_duration=round(row["total_duration"], 1),
        success_rate=round(row["success_rate"], 1),
        avg_stt_latency_ms=rounded(row["avg_stt_latency_ms"]),
        avg_llm_latency_ms=rounded(row["avg_llm_latency_ms"]),
        avg_tts_latency_ms=rounded(row["avg_tts_latency_ms"]))
