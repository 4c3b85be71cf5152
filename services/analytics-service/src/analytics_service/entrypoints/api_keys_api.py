"""``/api/api-keys``: the tenant owner's keys for logging calls (``POST /api/calls``).
A key is shown once, in the answer that creates it; listings show its prefix only."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from ringbook.web.errors import ApiError, ErrorOut
from ringbook.web.routing import PlatformRoute
from ringbook.web.security import CurrentPrincipal

from analytics_service.application import api_keys
from analytics_service.application.errors import NotFound, TooManyKeys
from analytics_service.entrypoints.call_schemas import (
    ApiKeyIn,
    ApiKeyList,
    ApiKeyOut,
    Message,
    NewApiKey,
)
from analytics_service.entrypoints.dependencies import AnalyticsDep

router = APIRouter(prefix="/api/api-keys", tags=["api-keys"], route_class=PlatformRoute,
                   responses={code: {"model": ErrorOut} for code in (401, 404, 409)})


@router.post("", status_code=201)
async def create_key(body: ApiKeyIn, analytics: AnalyticsDep, principal: CurrentPrincipal
                     ) -> NewApiKey:
    try:
        record, key = await api_keys.create_key(analytics.store, analytics.clock,
                                                principal.tenant_id, body.name)
    except TooManyKeys as exc:
        raise ApiError(409, str(exc)) from None
    return NewApiKey(id=record.id, key=key, name=record.name, created_at=record.created_at)


@router.get("")
async def list_keys(analytics: AnalyticsDep, principal: CurrentPrincipal) -> ApiKeyList:
    keys = await api_keys.list_keys(analytics.store, principal.tenant_id)
    return ApiKeyList(api_keys=[ApiKeyOut.of(k) for k in keys])


@router.delete("/{key_id}")
async def revoke_key(key_id: uuid.UUID, analytics: AnalyticsDep, principal: CurrentPrincipal
                     ) -> Message:
    """Revoke a key: from this answer on, calls logged with it answer 401."""
    try:
        await api_keys.revoke_key(analytics.store, analytics.clock, principal.tenant_id,
                                  key_id)
    except NotFound as exc:
        raise ApiError(404, str(exc)) from None
    return Message(message="API key revoked")
