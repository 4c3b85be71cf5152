"""``/api/requests``: read one request with its timeline, list one's own, cancel.

Every query is filtered by the caller's tenant and user: another user's request id,
an unknown one and a malformed one all answer the same 404 ``Request not found``.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from ringbook.contracts.request_status import RequestStatus
from ringbook.store.event_store import ConcurrencyConflict
from ringbook.web.errors import ApiError
from ringbook.web.routing import PlatformRoute
from ringbook.web.security import CurrentPrincipal

from request_service.application.cancel import (
    RequestAlreadyFinished,
    RequestNotFound,
    cancel_request,
)
from request_service.domain.requests import RequestRecord
from request_service.entrypoints.dependencies import GatewayDep, owner_of
from request_service.entrypoints.schemas import (
    CancelAcceptedOut,
    CancelBody,
    RequestOut,
    RequestPageOut,
    RequestSummaryOut,
    TimelineOut,
)

router = APIRouter(prefix="/api/requests", tags=["requests"], route_class=PlatformRoute)
NOT_FOUND = "Request not found"


def parse_request_id(raw: str) -> uuid.UUID:
    """A malformed id is just an id that names no request of yours: 404, never 500."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ApiError(404, NOT_FOUND) from None


def _summary(record: RequestRecord) -> RequestSummaryOut:
    return RequestSummaryOut(
        request_id=record.request_id,
        status=record.status,
        title=record.title,
        description=record.description,
        number_to_call=record.number_to_call,
        callback_number=record.callback_number,
        preferred_time=record.preferred_time,
        summary=record.summary,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


@router.get("", response_model=RequestPageOut)
async def list_requests(
    principal: CurrentPrincipal,
    gateway: GatewayDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    status: RequestStatus | None = None,
) -> RequestPageOut:
    """The caller's requests, newest first, optionally of one status."""
    records, total = await gateway.queries.page(
        owner_of(principal), status=status, limit=limit, offset=offset
    )
    return RequestPageOut(
        requests=[_summary(r) for r in records], total=total, limit=limit, offset=offset
    )


@router.get("/{request_id}", response_model=RequestOut)
async def get_request(
    request_id: str, principal: CurrentPrincipal, gateway: GatewayDep
) -> RequestOut:
    """The request and its timeline in occurrence order (what the seed's frontend polls)."""
    record = await gateway.queries.get(parse_request_id(request_id), owner_of(principal))
    if record is None:
        raise ApiError(404, NOT_FOUND)
    timeline = await gateway.queries.timeline(record.request_id)
    return RequestOut(
        **_summary(record).model_dump(),
        timeline=[
            TimelineOut(type=e.type, message=e.message, created_at=e.occurred_at)
            for e in timeline
        ],
    )


@router.post("/{request_id}/cancel", status_code=202, response_model=CancelAcceptedOut)
async def cancel(
    request_id: str,
    principal: CurrentPrincipal,
    gateway: GatewayDep,
    body: CancelBody | None = None,
) -> CancelAcceptedOut:
    """Cancel a request that is not finished yet.

    Answers **202**: the request's status is ``canceled`` as of this answer (the
    ``request_canceled`` event and the status change commit together), while dropping
    a scheduled call or hanging up a live one happens asynchronously in
    call-orchestrator. A request already ``booked``, ``failed`` or ``canceled`` answers
    409, as does a concurrent writer winning twice in a row.
    """
    try:
        canceled = await cancel_request(
            gateway.uow,
            parse_request_id(request_id),
            owner=owner_of(principal),
            reason=body.reason if body else None,
            clock=gateway.clock,
        )
    except RequestNotFound:
        raise ApiError(404, NOT_FOUND) from None
    except RequestAlreadyFinished as exc:
        raise ApiError(409, f"Request is already {exc.status} and cannot be canceled") from None
    except ConcurrencyConflict:
        raise ApiError(409, "Request was changed concurrently; retry") from None
    return CancelAcceptedOut(
        request_id=canceled.event.aggregate_id,
        message="Request is being canceled",
        request_status=canceled.status,
    )
