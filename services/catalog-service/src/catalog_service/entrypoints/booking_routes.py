"""Seed 004's booking endpoints.

``POST /api/function-handler``  the booking functions a model calls (bearer INTERNAL_TOKEN;
                                ``context.to`` names the business). Model-facing refusals
                                are 200 answers (application.booking_functions); a body
                                that is not the seed's is 400.
``GET /api/bookings/{date}``    the owner's bookings of a day, across the tenant's
                                businesses (``?business_id=`` for one), in the seed's rows.
``POST /api/bookings/{reference}/cancel``  the owner cancels one.

Limits (RateLimits, settings): FUNCTION_HANDLER_RATE_LIMIT per business number,
BOOKINGS_API_RATE_LIMIT per tenant; over them, 429 with Retry-After.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from ringbook.contracts.bookings import FunctionCallRequest
from ringbook.web.errors import ApiError, ErrorOut
from ringbook.web.rate_limits import RateLimitExceeded
from ringbook.web.routing import PlatformRoute
from ringbook.web.security import InternalCaller

from catalog_service.application import booking_functions, bookings
from catalog_service.application.errors import NotFound
from catalog_service.domain.numbers import InvalidNumber, e164
from catalog_service.domain.records import BookingRow
from catalog_service.domain.slots import parse_date
from catalog_service.entrypoints.dependencies import Catalog, CatalogDep, TenantDep
from catalog_service.settings import BOOKINGS_API, FUNCTION_HANDLER

router = APIRouter(tags=["bookings"], route_class=PlatformRoute,
                   responses={code: {"model": ErrorOut} for code in (400, 401, 404, 429, 503)})

MAX_IDEMPOTENCY_KEY = 200


def _limit(catalog: Catalog, name: str, key: str) -> None:
    try:
        catalog.limits.hit(name, key)
    except RateLimitExceeded as exc:
        raise exc.as_api_error() from None


def _invalid(details: Any) -> ApiError:
    return ApiError(400, "Invalid parameters", details)


class BookingOut(BaseModel):
    id: int
    customer_name: str
    customer_phone: str
    booking_date: date
    slot_start_time: str
    slot_end_time: str
    booking_reference: str
    status: str
    created_at: str
    business_id: uuid.UUID

    @classmethod
    def of(cls, row: BookingRow) -> BookingOut:
        return cls(id=row.id, customer_name=row.customer_name,
                   customer_phone=row.customer_phone, booking_date=row.slot_date,
                   slot_start_time=f"{row.start_time:%H:%M:%S}",
                   slot_end_time=f"{row.end_time:%H:%M:%S}", booking_reference=row.reference,
                   status=row.status,
                   created_at=row.created_at.isoformat().replace("+00:00", "Z"),
                   business_id=row.business_id)


class CancelOut(BaseModel):
    success: bool
    reference: str
    status: str
    already_cancelled: bool
    message: str


@router.post("/api/function-handler", response_model=None)
async def function_handler(request: Request, catalog: CatalogDep, _: InternalCaller
                           ) -> JSONResponse:
    try:
        body = FunctionCallRequest.model_validate(orjson.loads(await request.body()))
    except orjson.JSONDecodeError:
        raise _invalid("The body must be JSON") from None
    except ValidationError as exc:
        raise _invalid([{"field": ".".join(map(str, e["loc"])), "problem": e["msg"]}
                        for e in exc.errors(include_url=False, include_input=False)]) from None
    if not body.context.to:
        raise _invalid([{"field": "context.to", "problem": "the business's number is required"}])
    try:
        number = e164(body.context.to)
    except InvalidNumber as exc:
        raise _invalid([{"field": "context.to", "problem": str(exc)}]) from None
    _limit(catalog, FUNCTION_HANDLER, number)
    key = request.headers.get("idempotency-key", "").strip() or None
    if key is None and body.context.call_sid and body.context.tool_call_id:
        key = f"{body.context.call_sid}:{body.context.tool_call_id}"
    if key is not None and len(key) > MAX_IDEMPOTENCY_KEY:
        raise _invalid([{"field": "Idempotency-Key",
                         "problem": f"at most {MAX_IDEMPOTENCY_KEY} characters"}])
    record = await bookings.business_at(catalog.uow, number)
    result = await booking_functions.call_function(catalog.uow, catalog.clock, record, body,
                                                   key)
    return JSONResponse(result)


def _date(raw: str) -> date:
    day = parse_date(raw)
    if day is None:
        raise _invalid("Date must be in YYYY-MM-DD format")
    return day


@router.get("/api/bookings/{booking_date}")
async def list_bookings(booking_date: str, catalog: CatalogDep, tenant: TenantDep,
                        business_id: uuid.UUID | None = None) -> list[BookingOut]:
    _limit(catalog, BOOKINGS_API, str(tenant))
    day = _date(booking_date)
    return [BookingOut.of(r)
            for r in await bookings.list_bookings(catalog.uow, tenant, day, business_id)]


@router.post("/api/bookings/{reference}/cancel")
async def cancel_booking(reference: str, catalog: CatalogDep, tenant: TenantDep) -> CancelOut:
    _limit(catalog, BOOKINGS_API, str(tenant))
    if not 1 <= len(reference) <= 40:
        raise _invalid("reference must be like SPA-000123")
    try:
        done = await bookings.cancel(catalog.uow, catalog.clock, reference, source="api",
                                     tenant_id=tenant)
    except NotFound:
        raise ApiError(404, "Booking not found") from None
    return CancelOut(success=not done.already, reference=done.row.reference,
                     status=done.row.status, already_cancelled=done.already,
                     message=("Booking already cancelled" if done.already
                              else "Booking cancelled"))
