"""``/api/clients/{id}/slots`` and ``/api/phone-numbers/{id}/slots`` (seed 004): a
business's weekly slots with their capacity, and the dates that differ.

``PUT`` replaces the whole schedule, ``GET`` reads it, ``DELETE`` clears it. Another
tenant's client or number answers 404. Under ``/api/phone-numbers`` the answers are in
seed 001's envelope (``{"success": true, "data": ...}``), under ``/api/clients`` in
seed 002's style (``{"slots": ...}``); errors are the platform's body in both.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Body
from pydantic import BaseModel
from ringbook.contracts.bookings import BusinessKind
from ringbook.web.errors import ErrorOut
from ringbook.web.routing import PlatformRoute

from catalog_service.application import slot_schedules
from catalog_service.application.errors import InvalidInput
from catalog_service.domain.records import ScheduleRecord
from catalog_service.domain.slots import WEEKDAYS, InvalidSchedule, schedule_from_body
from catalog_service.entrypoints.dependencies import CatalogDep, TenantDep
from catalog_service.entrypoints.envelope import Ok, ok

router = APIRouter(tags=["slots"], route_class=PlatformRoute,
                   responses={code: {"model": ErrorOut} for code in (401, 404, 409, 422, 503)})


class WeeklySlotOut(BaseModel):
    weekday: int
    weekday_name: str
    start: str
    end: str
    capacity: int


class ScheduleOut(BaseModel):
    business_kind: str
    business_id: uuid.UUID
    business_name: str
    number: str
    timezone: str
    reference_prefix: str
    weekly: list[WeeklySlotOut]
    exceptions: list[dict[str, Any]]
    version: int

    @classmethod
    def of(cls, r: ScheduleRecord) -> ScheduleOut:
        return cls(
            business_kind=r.business_kind, business_id=r.business_id,
            business_name=r.business_name, number=r.number, timezone=r.timezone,
            reference_prefix=r.reference_prefix,
            weekly=[WeeklySlotOut(weekday=w["weekday"], weekday_name=WEEKDAYS[w["weekday"]],
                                  start=w["start"][:5], end=w["end"][:5], capacity=w["capacity"])
                    for w in r.weekly],
            exceptions=[{k: v for k, v in x.items() if v is not None and v is not False}
                        for x in r.exceptions],
            version=r.version)


class ClientSlotsOut(BaseModel):
    slots: ScheduleOut


class SlotsClearedOut(BaseModel):
    message: str = "Slot schedule cleared"


def _schedule(body: dict[str, Any]) -> Any:
    try:
        return schedule_from_body(body)
    except InvalidSchedule as exc:
        raise InvalidInput(exc.field, exc.problem) from None


async def _put(catalog: CatalogDep, tenant: uuid.UUID, kind: BusinessKind,
               business_id: uuid.UUID, body: dict[str, Any]) -> ScheduleOut:
    record = await slot_schedules.set_schedule(catalog.uow, catalog.clock, tenant, kind,
                                               business_id, schedule=_schedule(body))
    return ScheduleOut.of(record)


_BODY = Body(examples=[{"timezone": "Europe/Rome", "reference_prefix": "SPA",
                        "weekly": [{"weekday": "monday", "start": "10:00", "end": "12:00",
                                    "capacity": 14}],
                        "exceptions": [{"date": "2026-12-24", "closed": True}]}])


@router.get("/api/clients/{client_id}/slots")
async def get_client_slots(client_id: uuid.UUID, catalog: CatalogDep, tenant: TenantDep
                           ) -> ClientSlotsOut:
    return ClientSlotsOut(slots=ScheduleOut.of(await slot_schedules.get_schedule(
        catalog.uow, tenant, "client", client_id)))


@router.put("/api/clients/{client_id}/slots")
async def set_client_slots(client_id: uuid.UUID, catalog: CatalogDep, tenant: TenantDep,
                           body: dict[str, Any] = _BODY) -> ClientSlotsOut:
    return ClientSlotsOut(slots=await _put(catalog, tenant, "client", client_id, body))


@router.delete("/api/clients/{client_id}/slots")
async def clear_client_slots(client_id: uuid.UUID, catalog: CatalogDep, tenant: TenantDep
                             ) -> SlotsClearedOut:
    await slot_schedules.clear_schedule(catalog.uow, catalog.clock, tenant, "client", client_id)
    return SlotsClearedOut()


@router.get("/api/phone-numbers/{number_id}/slots")
async def get_number_slots(number_id: uuid.UUID, catalog: CatalogDep, tenant: TenantDep
                           ) -> Ok[ScheduleOut]:
    return ok(ScheduleOut.of(await slot_schedules.get_schedule(
        catalog.uow, tenant, "phone_number", number_id)))


@router.put("/api/phone-numbers/{number_id}/slots")
async def set_number_slots(number_id: uuid.UUID, catalog: CatalogDep, tenant: TenantDep,
                           body: dict[str, Any] = _BODY) -> Ok[ScheduleOut]:
    return ok(await _put(catalog, tenant, "phone_number", number_id, body))


@router.delete("/api/phone-numbers/{number_id}/slots")
async def clear_number_slots(number_id: uuid.UUID, catalog: CatalogDep, tenant: TenantDep
                             ) -> Ok[SlotsClearedOut]:
    await slot_schedules.clear_schedule(catalog.uow, catalog.clock, tenant, "phone_number",
                                        number_id)
    return ok(SlotsClearedOut())
