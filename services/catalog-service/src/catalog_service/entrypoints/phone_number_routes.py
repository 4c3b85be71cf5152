"""``/api/phone-numbers`` (seed 001): the numbers a business owns, who answers each,
and their business hours."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from ringbook.web.routing import PlatformRoute

from catalog_service.application import business_hours as hours
from catalog_service.application import phone_numbers as numbers
from catalog_service.domain.business_hours import BusinessHours
from catalog_service.entrypoints.assistant_routes import ERRORS
from catalog_service.entrypoints.dependencies import CatalogDep, TenantDep
from catalog_service.entrypoints.envelope import Ok, ok
from catalog_service.entrypoints.schemas_numbers import (
    HoursBody,
    HoursClearedOut,
    HoursOut,
    PhoneNumberChange,
    PhoneNumberCreate,
    PhoneNumberOut,
    PhoneNumberReleasedOut,
)

router = APIRouter(prefix="/api/phone-numbers", tags=["phone numbers"],
                   route_class=PlatformRoute, responses={**ERRORS, 502: ERRORS[503]})


@router.get("/")
@router.get("", include_in_schema=False)
async def list_numbers(catalog: CatalogDep, tenant: TenantDep) -> Ok[list[PhoneNumberOut]]:
    return ok([PhoneNumberOut.of(r) for r in await numbers.list_numbers(catalog.uow, tenant)])


@router.post("/", status_code=201)
@router.post("", status_code=201, include_in_schema=False)
async def add_number(body: PhoneNumberCreate, catalog: CatalogDep, tenant: TenantDep
                     ) -> Ok[PhoneNumberOut]:
    """With TELEPHONY_PROVIDER=twilio, the number must be one of the Twilio account's
    (422 otherwise); its calls are then sent to us."""
    record = await numbers.add_number(catalog.uow, catalog.clock, catalog.provisioning,
                                      tenant, body.changes())
    return ok(PhoneNumberOut.of(record))


@router.get("/{number_id}")
async def get_number(number_id: uuid.UUID, catalog: CatalogDep, tenant: TenantDep
                     ) -> Ok[PhoneNumberOut]:
    return ok(PhoneNumberOut.of(await numbers.get_number(catalog.uow, tenant, number_id)))


@router.put("/{number_id}")
async def update_number(number_id: uuid.UUID, body: PhoneNumberChange, catalog: CatalogDep,
                        tenant: TenantDep) -> Ok[PhoneNumberOut]:
    record = await numbers.update_number(catalog.uow, catalog.clock, tenant, number_id,
                                         body.changes())
    return ok(PhoneNumberOut.of(record))


@router.delete("/{number_id}")
async def release_number(number_id: uuid.UUID, catalog: CatalogDep, tenant: TenantDep
                         ) -> Ok[PhoneNumberReleasedOut]:
    record = await numbers.release_number(catalog.uow, catalog.clock, tenant, number_id)
    return ok(PhoneNumberReleasedOut(id=number_id, phone_number=record.state.phone_number))


@router.get("/{number_id}/business-hours")
async def get_number_hours(number_id: uuid.UUID, catalog: CatalogDep, tenant: TenantDep
                           ) -> Ok[HoursOut]:
    record = await numbers.get_number(catalog.uow, tenant, number_id)
    return ok(HoursOut.of(await hours.get_hours(catalog.uow, tenant, record.state.phone_number)))


@router.put("/{number_id}/business-hours")
async def set_number_hours(number_id: uuid.UUID, body: HoursBody, catalog: CatalogDep,
                           tenant: TenantDep) -> Ok[HoursOut]:
    record = await numbers.get_number(catalog.uow, tenant, number_id)
    wanted = BusinessHours(record.state.phone_number, body.weekly_hours, body.timezone)
    return ok(HoursOut.of(await hours.set_hours(catalog.uow, catalog.clock, tenant, wanted)))


@router.delete("/{number_id}/business-hours")
async def clear_number_hours(number_id: uuid.UUID, catalog: CatalogDep, tenant: TenantDep
                             ) -> Ok[HoursClearedOut]:
    record = await numbers.get_number(catalog.uow, tenant, number_id)
    await hours.clear_hours(catalog.uow, catalog.clock, tenant, record.state.phone_number)
    return ok(HoursClearedOut(number=record.state.phone_number))
