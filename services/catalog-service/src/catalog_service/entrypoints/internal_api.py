"""Internal endpoints (service-to-service, bearer INTERNAL_TOKEN): business hours.

call-orchestrator reads a business's hours before placing a call; the admin side of the
catalog (later) writes them. Not exposed through the gateway.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, field_validator
from ringbook.web.errors import ApiError
from ringbook.web.routing import PlatformRoute
from ringbook.web.security import InternalCaller

from catalog_service.application.business_hours import (
    NumberOwnedByAnotherTenant,
    hours_for,
    set_hours,
)
from catalog_service.domain.business_hours import (
    BusinessHours,
    InvalidBusinessHours,
    iana_zone,
    weekly_hours_text,
)
from catalog_service.entrypoints.dependencies import CatalogDep

router = APIRouter(
    prefix="/internal/business-hours", tags=["internal"], route_class=PlatformRoute
)


class BusinessHoursIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant_id: uuid.UUID
    weekly_hours: str
    timezone: str | None = None

    # The domain's rules (InvalidBusinessHours is a ValueError), surfaced per field in
    # the standard 422 body.
    @field_validator("weekly_hours")
    @classmethod
    def _weekly_hours(cls, value: str) -> str:
        return weekly_hours_text(value)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return None if value is None else iana_zone(value)


class BusinessHoursOut(BaseModel):
    number: str
    weekly_hours: str
    timezone: str | None

    @classmethod
    def of(cls, hours: BusinessHours) -> BusinessHoursOut:
        return cls(number=hours.number, weekly_hours=hours.weekly_hours, timezone=hours.timezone)


def _invalid_number(exc: InvalidBusinessHours) -> ApiError:
    return ApiError(422, "Invalid phone number", [{"field": "number_e164", "problem": str(exc)}])


@router.get("/{number_e164}", response_model=BusinessHoursOut)
async def get_business_hours(
    number_e164: str, catalog: CatalogDep, _: InternalCaller
) -> BusinessHoursOut:
    try:
        hours = await hours_for(catalog.hours, number_e164)
    except InvalidBusinessHours as exc:
        raise _invalid_number(exc) from None
    if hours is None:
        raise ApiError(404, "No business hours for this number")
    return BusinessHoursOut.of(hours)


@router.put("/{number_e164}", response_model=BusinessHoursOut)
async def put_business_hours(
    number_e164: str, body: BusinessHoursIn, catalog: CatalogDep, _: InternalCaller
) -> BusinessHoursOut:
    try:
        hours = await set_hours(
            catalog.hours,
            number=number_e164,
            tenant_id=body.tenant_id,
            weekly_hours=body.weekly_hours,
            timezone=body.timezone,
        )
    except InvalidBusinessHours as exc:
        raise _invalid_number(exc) from None
    except NumberOwnedByAnotherTenant:
        raise ApiError(409, "This number belongs to another tenant") from None
    return BusinessHoursOut.of(hours)
