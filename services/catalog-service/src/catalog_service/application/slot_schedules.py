"""A business's capacity-limited slots (the ``slot_schedule`` aggregate, id
``slot_schedule_id(kind, business_id)``, seed 004). The business is one of the tenant's
clients or phone numbers; its number (the client's phone_number, the phone number's
E.164) is where callers reach it, captured when the schedule is set. Setting the same
schedule again appends nothing."""

from __future__ import annotations

import uuid
from datetime import date

from ringbook.clock import Clock
from ringbook.contracts.bookings import (
    BusinessKind,
    SlotScheduleCleared,
    SlotScheduleSet,
    slot_schedule_id,
)

from catalog_service.application.errors import NotFound
from catalog_service.application.events import EventBatch
from catalog_service.application.ports import CatalogTransaction, UnitOfWork
from catalog_service.domain.records import ScheduleRecord
from catalog_service.domain.slots import Schedule

SLOTS = "Slot schedule"
_WHAT = {"client": "Client", "phone_number": "Phone number"}


async def _business(tx: CatalogTransaction, tenant_id: uuid.UUID, kind: BusinessKind,
                    business_id: uuid.UUID) -> tuple[str, str]:
    """(name, number) of the tenant's business; NotFound for another tenant's."""
    if kind == "client":
        client = await tx.clients.get(tenant_id, business_id)
        if client is None:
            raise NotFound(_WHAT[kind])
        return client.state.name, client.state.phone_number
    number = await tx.numbers.get(tenant_id, business_id)
    if number is None:
        raise NotFound(_WHAT[kind])
    return number.state.friendly_name or number.state.phone_number, number.state.phone_number


async def get_schedule(uow: UnitOfWork, tenant_id: uuid.UUID, kind: BusinessKind,
                       business_id: uuid.UUID) -> ScheduleRecord:
    async with uow.transaction() as tx:
        await _business(tx, tenant_id, kind, business_id)
        record = await tx.schedules.get(tenant_id, business_id)
    if record is None:
        raise NotFound(SLOTS)
    return record


async def set_schedule(uow: UnitOfWork, clock: Clock, tenant_id: uuid.UUID, kind: BusinessKind,
                       business_id: uuid.UUID, *, schedule: Schedule) -> ScheduleRecord:
    aggregate_id = slot_schedule_id(kind, business_id)
    async with uow.transaction() as tx:
        name, number = await _business(tx, tenant_id, kind, business_id)
        event = SlotScheduleSet(
            tenant_id=tenant_id, business_kind=kind, business_id=business_id,
            business_name=name, number=number, timezone=schedule.timezone,
            reference_prefix=schedule.reference_prefix, weekly=list(schedule.weekly),
            exceptions=list(schedule.exceptions))
        current = await tx.schedules.get(tenant_id, business_id)
        if current is None or _snapshot(current) != event.model_dump(mode="json"):
            version = current.version if current is not None else await tx.version(aggregate_id)
            batch = EventBatch(tenant_id, clock)
            batch.add(aggregate_id, event, after=version)
            await tx.record(batch.events)
            current = await tx.schedules.get(tenant_id, business_id)
            await _resize_slots(tx, business_id, schedule, schedule.today(clock.now()))
    assert current is not None
    return current


async def _resize_slots(tx: CatalogTransaction, business_id: uuid.UUID, schedule: Schedule,
                        today: date) -> None:
    """The slots that already have a row (from today, where the business is) take the new
    schedule's capacity; one booked beyond it keeps its bookings and takes no more. A
    slot the schedule no longer has keeps its row: its bookings stay listed."""
    for slot_id, day, start in await tx.bookings.slots_from(business_id, today):
        capacity = next((c for s, _, c in schedule.slots_on(day) if s == start), None)
        if capacity is not None:
            await tx.bookings.set_capacity(slot_id, capacity)


def _snapshot(record: ScheduleRecord) -> dict[str, object]:
    return {
        "tenant_id": str(record.tenant_id), "business_kind": record.business_kind,
        "business_id": str(record.business_id), "business_name": record.business_name,
        "number": record.number, "timezone": record.timezone,
        "reference_prefix": record.reference_prefix, "weekly": record.weekly,
        "exceptions": record.exceptions,
    }


async def clear_schedule(uow: UnitOfWork, clock: Clock, tenant_id: uuid.UUID,
                         kind: BusinessKind, business_id: uuid.UUID) -> None:
    async with uow.transaction() as tx:
        await _business(tx, tenant_id, kind, business_id)
        current = await tx.schedules.get(tenant_id, business_id)
        if current is None:
            raise NotFound(SLOTS)
        batch = EventBatch(tenant_id, clock)
        batch.add(current.id, SlotScheduleCleared(
            tenant_id=tenant_id, business_kind=kind, business_id=business_id,
            number=current.number), after=current.version)
        await tx.record(batch.events)
