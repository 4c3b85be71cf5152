"""A tenant's opening hours for a number it calls or owns (the ``business_hours``
aggregate, id ``business_hours_id(tenant, number)``); call-orchestrator projects the
events and obeys them when it dials. Setting the same hours again appends nothing."""

from __future__ import annotations

import uuid

from ringbook.clock import Clock
from ringbook.contracts.catalog import BusinessHoursCleared, BusinessHoursSet, business_hours_id

from catalog_service.application.errors import NotFound
from catalog_service.application.events import EventBatch
from catalog_service.application.ports import UnitOfWork
from catalog_service.domain.business_hours import BusinessHours
from catalog_service.domain.records import HoursRecord

HOURS = "Business hours"


async def get_hours(uow: UnitOfWork, tenant_id: uuid.UUID, number: str) -> HoursRecord:
    async with uow.transaction() as tx:
        record = await tx.hours.get(tenant_id, number)
    if record is None:
        raise NotFound(HOURS)
    return record


async def set_hours(uow: UnitOfWork, clock: Clock, tenant_id: uuid.UUID, hours: BusinessHours
                    ) -> HoursRecord:
    aggregate_id = business_hours_id(tenant_id, hours.number)
    async with uow.transaction() as tx:
        current = await tx.hours.get(tenant_id, hours.number)
        if current is None or (current.weekly_hours, current.timezone) != (
                hours.weekly_hours, hours.timezone):
            # A cleared aggregate has no row, and goes on from its last version.
            version = current.version if current is not None else await tx.version(aggregate_id)
            batch = EventBatch(tenant_id, clock)
            batch.add(aggregate_id, BusinessHoursSet(
                number=hours.number, weekly_hours=hours.weekly_hours, timezone=hours.timezone,
            ), after=version)
            await tx.record(batch.events)
            current = await tx.hours.get(tenant_id, hours.number)
    assert current is not None
    return current


async def clear_hours(uow: UnitOfWork, clock: Clock, tenant_id: uuid.UUID, number: str) -> None:
    async with uow.transaction() as tx:
        current = await tx.hours.get(tenant_id, number)
        if current is None:
            raise NotFound(HOURS)
        batch = EventBatch(tenant_id, clock)
        batch.add(current.id, BusinessHoursCleared(number=number), after=current.version)
        await tx.record(batch.events)
