"""What routes receive: the projection's read side, wired once the runtime has started
(the pool exists only then), as an ``Annotated`` dependency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends, Header, Request
from ringbook.clock import Clock
from ringbook.web.errors import ApiError
from ringbook.web.state import wired

from analytics_service.application import api_keys
from analytics_service.application.errors import InvalidApiKey
from analytics_service.application.ports import CallLogStore
from analytics_service.domain.api_keys import ApiKey
from analytics_service.domain.call_cost import Prices


@dataclass(frozen=True)
class Analytics:
    """The read API's collaborators for this process (``app.state.analytics``)."""

    pool: asyncpg.Pool
    clock: Clock
    # The call log's writes (API keys, logged calls), on the same pool.
    store: CallLogStore
    # What calls are priced at (PRICE_*): the cost endpoints answer in its currency.
    prices: Prices


async def get_analytics(request: Request) -> Analytics:
    return wired(request, "analytics", Analytics)


AnalyticsDep = Annotated[Analytics, Depends(get_analytics)]


async def require_api_key(
    analytics: AnalyticsDep,
    x_api_key: Annotated[str | None, Header(alias="X-API-Key",
                                            description="A tenant API key (rbk_...)")] = None,
) -> ApiKey:
    """The tenant API key of ``X-API-Key`` (``POST /api/calls``), active; else 401."""
    try:
        return await api_keys.authenticate(analytics.store, x_api_key)
    except InvalidApiKey as exc:
        raise ApiError(401, str(exc), headers={"WWW-Authenticate": "X-API-Key"}) from None


CallerKey = Annotated[ApiKey, Depends(require_api_key)]
