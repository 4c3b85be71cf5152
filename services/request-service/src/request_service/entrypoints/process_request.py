"""``POST /api/process-request`` (seed 000), with seed 000's own error body.

The frontend already codes against ``{"status": "error", "request_id", "error"}``, so
this endpoint, and only this one, answers its errors in that shape: its route class
catches validation, auth and storage errors before the platform's handlers would turn
them into ``{"error", "details"}``, and ``seed_error_body`` rewrites what the platform
middleware answers before any route runs. Status codes: 400 not JSON, 401 no/invalid
token, 403 ``user_id`` is not the caller, 409 ``request_id`` taken by a different
request, 413 body too large, 415 not sent as JSON, 422 a field is wrong (the message
names it and says why; a NUL character or an unpaired surrogate anywhere included),
431 headers too large, 503 Postgres unreachable. Nothing is stored on any of them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from ringbook.logging import get_logger
from ringbook.web.errors import ApiError
from ringbook.web.routing import PlatformRoute, RouteHandler
from ringbook.web.security import CurrentPrincipal
from starlette.exceptions import HTTPException

from request_service.application.ports import StoreUnavailable
from request_service.application.submit import SubmitOutcome, submit_request
from request_service.domain.requests import CallRequest
from request_service.entrypoints.dependencies import GatewayDep
from request_service.entrypoints.schemas import (
    AcceptedOut,
    ProcessRequestBody,
    SeedErrorOut,
)
from request_service.entrypoints.seed_error_body import PATH, readable_request_id, seed_error
from request_service.entrypoints.validation_messages import describe

log = get_logger(__name__)


class SeedError(Exception):
    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status, self.error = status, error


class SeedErrorRoute(PlatformRoute):
    def get_route_handler(self) -> RouteHandler:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except RequestValidationError as exc:
                status, error = describe(exc, request.headers.get("content-type"))
            except ApiError as exc:  # the bearer check
                status, error = exc.status, exc.error
            except SeedError as exc:
                status, error = exc.status, exc.error
            except StoreUnavailable:
                status, error = 503, "Service temporarily unavailable, please retry"
            except HTTPException as exc:  # FastAPI's own "error parsing the body"
                status, error = exc.status_code, f"body: {exc.detail}"
            log.info("process_request_refused", status=status, error=error[:300])
            return seed_error(status, readable_request_id(await request.body()), error)

        return handler


router = APIRouter(tags=["requests"], route_class=SeedErrorRoute)

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": SeedErrorOut} for code in (400, 401, 403, 409, 413, 415, 422, 431, 503)
}


@router.post(PATH, status_code=202, response_model=AcceptedOut, responses=_ERRORS)
async def process_request(
    body: ProcessRequestBody, principal: CurrentPrincipal, gateway: GatewayDep
) -> AcceptedOut:
    """Accept a call request. 202 means it is committed and will be published; the
    same body sent again (a retry) is answered 202 again and creates nothing new."""
    if body.user_id != principal.user_id:
        raise SeedError(403, "user_id: does not match the signed-in user")
    request = CallRequest(
        request_id=body.request_id,
        user_id=body.user_id,
        title=body.title,
        description=body.description,
        callback_number=body.callback_number,
        number_to_call=body.number_to_call,
        preferred_time=body.preferred_time,
        user_profile=body.user_profile.to_contract(),
    )
    outcome = await submit_request(
        gateway.uow, request, tenant_id=principal.tenant_id, clock=gateway.clock
    )
    if outcome is SubmitOutcome.CONFLICT:
        raise SeedError(409, "request_id: already used for a different request")
    return AcceptedOut(request_id=request.request_id, message="Request is being processed")
