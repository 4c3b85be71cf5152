"""``/api/calls`` (seed 002): the call log, read by the tenant's owner (JWT), and written
by the business's own agent (``X-API-Key``). Every read is scoped to the caller's tenant;
another tenant's call answers 404 exactly like an unknown one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import Annotated

from fastapi import APIRouter, Query
from ringbook.web.errors import ApiError, ErrorOut
from ringbook.web.routing import PlatformRoute
from ringbook.web.security import CurrentPrincipal

from analytics_service.adapters import call_log_queries as queries
from analytics_service.application import logged_calls
from analytics_service.application.errors import NotFound
from analytics_service.domain.daily_counts import MAX_DAYS, MIN_DAYS, first_day
from analytics_service.entrypoints.call_schemas import (
    CallDetail,
    CallDetailEnvelope,
    CallList,
    CallLogIn,
    CallSummary,
    LoggedCall,
    LoggedCallEnvelope,
)
from analytics_service.entrypoints.dependencies import AnalyticsDep, CallerKey

MAX_LIMIT = 200
MAX_OFFSET = 1_000_000

router = APIRouter(prefix="/api/calls", tags=["calls"], route_class=PlatformRoute,
                   responses={code: {"model": ErrorOut} for code in (401, 404)})


@router.get("")
async def list_calls(
    *,
    analytics: AnalyticsDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    client_id: uuid.UUID | None = None,
    days: Annotated[int | None, Query(ge=MIN_DAYS, le=MAX_DAYS)] = None,
) -> CallList:
    """The tenant's calls, newest first; ``days``: only those started on the last
    ``days`` UTC days, today included (the days calls-per-day counts, so the two agree);
    ``total`` counts every call matching, not only this page."""
    since = None
    if days is not None:
        today = analytics.clock.now().astimezone(UTC).date()
        since = datetime.combine(first_day(today, days), time(), tzinfo=UTC)
    total, rows = await queries.list_calls(
        analytics.pool, tenant_id=principal.tenant_id, limit=limit, offset=offset,
        client_id=client_id, since=since)
    return CallList(total=total, limit=limit, offset=offset,
                    calls=[CallSummary.of(r) for r in rows])


@router.post("", status_code=201)
async def log_call(body: CallLogIn, analytics: AnalyticsDep, key: CallerKey
                   ) -> LoggedCallEnvelope:
    """Log a call made by the business's own agent; the key decides the tenant."""
    try:
        call_id, client_id, created_at = await logged_calls.log_call(
            analytics.store, analytics.clock, key, body.model_dump())
    except NotFound as exc:
        raise ApiError(404, str(exc)) from None
    return LoggedCallEnvelope(call=LoggedCall(id=call_id, client_id=client_id,
                                              created_at=created_at))


@router.get("/{call_id}")
async def get_call(call_id: uuid.UUID, analytics: AnalyticsDep, principal: CurrentPrincipal
                   ) -> CallDetailEnvelope:
    row = await queries.get_call(analytics.pool, tenant_id=principal.tenant_id,
                                 call_id=call_id)
    if row is None:
        raise ApiError(404, "Call not found")
    return CallDetailEnvelope(call=CallDetail.of(row))
