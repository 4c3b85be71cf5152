"""``/api/business-hours/{number}``: a tenant's opening hours for a number it calls.

call-orchestrator dials a number only inside its hours; without hours of the tenant's
own it uses its default (DEFAULT_BUSINESS_HOURS). The number may be written in any
spelling with its country code (URL-encode the ``+`` as ``%2B``).
"""

from __future__ import annotations

from fastapi import APIRouter
from ringbook.web.errors import ApiError
from ringbook.web.routing import PlatformRoute

from catalog_service.application import business_hours as hours
from catalog_service.domain.business_hours import BusinessHours
from catalog_service.domain.numbers import InvalidNumber, e164
from catalog_service.entrypoints.assistant_routes import ERRORS
from catalog_service.entrypoints.dependencies import CatalogDep, TenantDep
from catalog_service.entrypoints.envelope import Ok, ok
from catalog_service.entrypoints.schemas_numbers import HoursBody, HoursClearedOut, HoursOut

router = APIRouter(prefix="/api/business-hours", tags=["business hours"],
                   route_class=PlatformRoute, responses=ERRORS)


def _number(raw: str) -> str:
    try:
        return e164(raw)
    except InvalidNumber as exc:
        raise ApiError(422, "Invalid request", [{"field": "path.number", "problem": str(exc)}]
                       ) from None


@router.get("/{number}")
async def get_hours(number: str, catalog: CatalogDep, tenant: TenantDep) -> Ok[HoursOut]:
    return ok(HoursOut.of(await hours.get_hours(catalog.uow, tenant, _number(number))))


@router.put("/{number}")
async def set_hours(number: str, body: HoursBody, catalog: CatalogDep, tenant: TenantDep
                    ) -> Ok[HoursOut]:
    wanted = BusinessHours(_number(number), body.weekly_hours, body.timezone)
    return ok(HoursOut.of(await hours.set_hours(catalog.uow, catalog.clock, tenant, wanted)))


@router.delete("/{number}")
async def clear_hours(number: str, catalog: CatalogDep, tenant: TenantDep
                      ) -> Ok[HoursClearedOut]:
    e164_number = _number(number)
    await hours.clear_hours(catalog.uow, catalog.clock, tenant, e164_number)
    return ok(HoursClearedOut(number=e164_number))
