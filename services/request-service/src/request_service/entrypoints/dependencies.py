"""What routes receive: the wired gateway (built once the runtime has started) and the
caller's identity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from ringbook.auth import Principal, TokenService
from ringbook.clock import Clock
from ringbook.web.state import wired

from request_service.adapters.timeline_hub import TimelineHub
from request_service.application.auth import AuthService
from request_service.application.ports import RequestQueries, UnitOfWork
from request_service.domain.requests import Owner
from request_service.settings import RequestServiceSettings


@dataclass
class Gateway:
    """The use cases' collaborators for this process (``app.state.gateway``)."""

    settings: RequestServiceSettings
    clock: Clock
    tokens: TokenService
    auth: AuthService
    uow: UnitOfWork
    queries: RequestQueries
    hub: TimelineHub


async def get_gateway(request: Request) -> Gateway:
    return wired(request, "gateway", Gateway)


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


def owner_of(principal: Principal) -> Owner:
    return Owner(tenant_id=principal.tenant_id, user_id=principal.user_id)
