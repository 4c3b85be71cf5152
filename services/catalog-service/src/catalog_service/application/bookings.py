"""Bookings of capacity-limited slots (seed 004), and the G5 guarantee: a slot never
holds more confirmed bookings than its capacity, and one idempotency key books at most
once, whatever the concurrency.

:func:`book` is ONE transaction of single statements:

1. the slot's row is inserted if absent (``ON CONFLICT DO NOTHING``, capacity from the
   schedule then);
2. the booking's row is inserted with ``ON CONFLICT (business_id, idempotency_key) DO
   NOTHING``: a concurrent holder of the same key makes this wait for its commit; if the
   key is there, the FIRST booking is answered again and nothing changes;
3. ``UPDATE slots SET booked = booked + 1 WHERE id = ... AND booked < capacity``, under
   the row's lock: no row means full, and the transaction rolls back (the booking row
   with it); the CHECK (booked <= capacity) backs it;
4. BookingMade is appended (with its outbox row) in the same transaction.

:func:`cancel` flips ``confirmed`` to ``cancelled`` with a conditional UPDATE, so only
one of two concurrent cancels frees the place.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time

from ringbook.clock import Clock
from ringbook.contracts.bookings import (
    BookingCancelled,
    BookingMade,
    BookingSource,
    BusinessKind,
    SlotException,
    WeeklySlot,
    booking_reference,
)
from ringbook.ids import new_id

from catalog_service.application.errors import NotFound
from catalog_service.application.events import EventBatch
from catalog_service.application.ports import CatalogTransaction, UnitOfWork
from catalog_service.domain.records import BookingRow, ScheduleRecord
from catalog_service.domain.slots import Schedule, nearest_free, next_day

BOOKING = "Booking"
BUSINESS = "Business with slots"


def schedule_of(record: ScheduleRecord) -> Schedule:
    return Schedule(
        record.timezone,
        tuple(WeeklySlot.model_validate(w) for w in record.weekly),
        tuple(SlotException.model_validate(x) for x in record.exceptions),
        record.reference_prefix,
    )


@dataclass(frozen=True)
class SlotState:
    day: date
    start: time
    end: time
    capacity: int
    booked: int

    @property
    def left(self) -> int:
        return max(0, self.capacity - self.booked)


@dataclass(frozen=True)
class Booked:
    """A booking answered: made now, or (``replayed``) the first one of its key."""

    row: BookingRow
    replayed: bool


@dataclass(frozen=True)
class Full:
    """No place left (or no such slot): nothing stored; free slots near it."""

    alternatives: list[SlotState]


@dataclass(frozen=True)
class Cancelled:
    row: BookingRow
    already: bool


class _SlotFull(Exception):
    """The conditional update took no place: rolls the booking's transaction back."""


async def business_at(uow: UnitOfWork, number: str) -> ScheduleRecord:
    async with uow.transaction() as tx:
        record = await tx.schedules.by_number(number)
    if record is None:
        raise NotFound(BUSINESS)
    return record


async def _day_states(tx: CatalogTransaction, record: ScheduleRecord, days: list[date]
                      ) -> list[SlotState]:
    schedule = schedule_of(record)
    rows = {(r.slot_date, r.start_time): r for r in await tx.bookings.slots(record.business_id,
                                                                             days)}
    found: list[SlotState] = []
    for day in days:
        for start, end, capacity in schedule.slots_on(day):
            row = rows.get((day, start))
            found.append(SlotState(day, start, row.end_time if row else end,
                                   row.capacity if row else capacity, row.booked if row else 0))
    return found


async def day_slots(uow: UnitOfWork, record: ScheduleRecord, day: date) -> list[SlotState]:
    async with uow.transaction() as tx:
        return await _day_states(tx, record, [day])


async def slot_state(uow: UnitOfWork, record: ScheduleRecord, day: date, start: time
                     ) -> tuple[SlotState | None, list[SlotState]]:
    """The slot starting at ``start`` (None: there is none) and the free slots nearest it."""
    async with uow.transaction() as tx:
        states = await _day_states(tx, record, [day, next_day(day)])
    return (next((s for s in states if s.day == day and s.start == start), None),
            _alternatives(states, day, start))


def _alternatives(states: list[SlotState], day: date, start: time) -> list[SlotState]:
    by_key = {(s.day, s.start): s for s in states}
    chosen = nearest_free([(s.day, s.start, s.end, s.left) for s in states], day, start)
    return [by_key[(d, t)] for d, t, _, _ in chosen]


async def book(uow: UnitOfWork, clock: Clock, record: ScheduleRecord, *, customer_name: str,
               customer_phone: str, day: date, start: time, idempotency_key: str | None,
               language: str | None, source: BookingSource, call_sid: str | None
               ) -> Booked | Full:
    schedule = schedule_of(record)
    slot = next(((s, e, c) for s, e, c in schedule.slots_on(day) if s == start), None)
    if slot is None:
        return Full(await _free_near(uow, record, day, start))
    _, end, capacity = slot
    kind: BusinessKind = "client" if record.business_kind == "client" else "phone_number"
    try:
        async with uow.transaction() as tx:
            slot_id = await tx.bookings.ensure_slot(
                business_id=record.business_id, tenant_id=record.tenant_id, day=day,
                start=start, end=end, capacity=capacity)
            number = await tx.bookings.next_number()
            reference = booking_reference(record.reference_prefix, number)
            aggregate_id = new_id()
            now = clock.now()
            inserted = await tx.bookings.insert(
                number=number, aggregate_id=aggregate_id, reference=reference,
                business_id=record.business_id, tenant_id=record.tenant_id, slot_id=slot_id,
                customer_name=customer_name, customer_phone=customer_phone,
                idempotency_key=idempotency_key, at=now)
            if not inserted:
                assert idempotency_key is not None
                first = await tx.bookings.by_key(record.business_id, idempotency_key)
                assert first is not None
                return Booked(first, replayed=True)
            if not await tx.bookings.take_place(slot_id):
                raise _SlotFull
            batch = EventBatch(record.tenant_id, clock)
            batch.add(aggregate_id, BookingMade(
                tenant_id=record.tenant_id, booking_number=number, reference=reference,
                business_kind=kind, business_id=record.business_id,
                business_name=record.business_name, number=record.number, booking_date=day,
                slot_start=start, slot_end=end, customer_name=customer_name,
                customer_phone=customer_phone, language=language, source=source,
                call_sid=call_sid), after=0)
            await tx.record(batch.events)
            row = await tx.bookings.by_reference(reference)
            assert row is not None
            return Booked(row, replayed=False)
    except _SlotFull:
        return Full(await _free_near(uow, record, day, start))


async def _free_near(uow: UnitOfWork, record: ScheduleRecord, day: date, start: time
                     ) -> list[SlotState]:
    _, alternatives = await slot_state(uow, record, day, start)
    return alternatives


def same_phone(a: str, b: str) -> bool:
    digits_a, digits_b = re.sub(r"\D", "", a), re.sub(r"\D", "", b)
    return bool(digits_a) and digits_a == digits_b


async def cancel(uow: UnitOfWork, clock: Clock, reference: str, *, source: BookingSource,
                 tenant_id: uuid.UUID | None = None, business_id: uuid.UUID | None = None,
                 customer_phone: str | None = None) -> Cancelled:
    """Cancel by reference: the tenant's (owner) or the business's with the caller's
    phone (function). NotFound when there is no such booking for them."""
    async with uow.transaction() as tx:
        row = await tx.bookings.by_reference(reference.strip().upper(), tenant_id=tenant_id,
                                             business_id=business_id)
        if row is None or (customer_phone is not None
                           and not same_phone(customer_phone, row.customer_phone)):
            raise NotFound(BOOKING)
        if not await tx.bookings.cancel(row.id, clock.now()):
            return Cancelled(row, already=True)
        await tx.bookings.free_place(row.slot_id)
        schedule = await tx.schedules.get(row.tenant_id, row.business_id)
        kind: BusinessKind = ("client" if schedule is not None and
                              schedule.business_kind == "client" else "phone_number")
        batch = EventBatch(row.tenant_id, clock)
        batch.add(row.aggregate_id, BookingCancelled(
            tenant_id=row.tenant_id, reference=row.reference, business_kind=kind,
            business_id=row.business_id, booking_date=row.slot_date, slot_start=row.start_time,
            source=source), after=1)
        await tx.record(batch.events)
        updated = await tx.bookings.by_reference(row.reference)
    assert updated is not None
    return Cancelled(updated, already=False)


async def list_bookings(uow: UnitOfWork, tenant_id: uuid.UUID, day: date,
                        business_id: uuid.UUID | None) -> list[BookingRow]:
    async with uow.transaction() as tx:
        return await tx.bookings.listed(tenant_id, day, business_id)


def today_at(record: ScheduleRecord, now: datetime) -> date:
    return schedule_of(record).today(now)
