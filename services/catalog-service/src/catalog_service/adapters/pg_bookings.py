"""Slot schedules (read model), slots and bookings in Postgres, on the transaction's
connection. The booking steps are single statements whose conditions hold under
concurrency by themselves (unique indexes, a conditional UPDATE under its row lock);
catalog_service.application.bookings composes them in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, time

import asyncpg
import orjson
from ringbook.store.database import Conn

from catalog_service.domain.records import BookingRow, ScheduleRecord, SlotRow

_SCHEDULE = ("id, tenant_id, business_kind, business_id, business_name, number, timezone,"
             " reference_prefix, weekly, exceptions, version, updated_at")
_BOOKING = ("b.id, b.aggregate_id, b.reference, b.business_id, b.tenant_id, b.slot_id,"
            " b.customer_name, b.customer_phone, b.status, b.created_at, b.cancelled_at,"
            " s.slot_date, s.start_time, s.end_time")


def _schedule(row: asyncpg.Record | None) -> ScheduleRecord | None:
    if row is None:
        return None
    values = dict(row)
    values["weekly"] = orjson.loads(values["weekly"])
    values["exceptions"] = orjson.loads(values["exceptions"])
    return ScheduleRecord(**values)


def _booking(row: asyncpg.Record | None) -> BookingRow | None:
    return None if row is None else BookingRow(**dict(row))


class PgSlotSchedules:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def get(self, tenant_id: uuid.UUID, business_id: uuid.UUID) -> ScheduleRecord | None:
        return _schedule(await self._conn.fetchrow(
            f"select {_SCHEDULE} from slot_schedules where tenant_id = $1 and business_id = $2",
            tenant_id, business_id))

    async def by_number(self, number: str) -> ScheduleRecord | None:
        # Only the business holding the number now: a schedule left behind by a client
        # that changed its number resolves nothing.
        return _schedule(await self._conn.fetchrow(
            f"select {', '.join('s.' + c.strip() for c in _SCHEDULE.split(','))}"
            " from slot_schedules s join number_claims c"
            " on c.holder_id = s.business_id and c.number = s.number and c.tenant_id = s.tenant_id"
            " where s.number = $1", number))

    async def of_tenant(self, tenant_id: uuid.UUID) -> list[ScheduleRecord]:
        rows = await self._conn.fetch(
            f"select {_SCHEDULE} from slot_schedules where tenant_id = $1 order by business_id",
            tenant_id)
        return [r for r in map(_schedule, rows) if r is not None]


class PgBookings:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    async def ensure_slot(self, *, business_id: uuid.UUID, tenant_id: uuid.UUID, day: date,
                          start: time, end: time, capacity: int) -> int:
        await self._conn.execute(
            "insert into slots (business_id, tenant_id, slot_date, start_time, end_time,"
            " capacity) values ($1, $2, $3, $4, $5, $6)"
            " on conflict (business_id, slot_date, start_time) do nothing",
            business_id, tenant_id, day, start, end, capacity)
        slot_id: int = await self._conn.fetchval(
            "select id from slots where business_id = $1 and slot_date = $2 and start_time = $3",
            business_id, day, start)
        return slot_id

    async def next_number(self) -> int:
        number: int = await self._conn.fetchval("select nextval('bookings_id_seq')")
        return number

    async def insert(self, *, number: int, aggregate_id: uuid.UUID, reference: str,
                     business_id: uuid.UUID, tenant_id: uuid.UUID, slot_id: int,
                     customer_name: str, customer_phone: str, idempotency_key: str | None,
                     at: datetime) -> bool:
        inserted = await self._conn.fetchval(
            "insert into bookings (id, aggregate_id, reference, business_id, tenant_id, slot_id,"
            " customer_name, customer_phone, status, idempotency_key, created_at)"
            " values ($1, $2, $3, $4, $5, $6, $7, $8, 'confirmed', $9, $10)"
            " on conflict (business_id, idempotency_key) do nothing returning true",
            number, aggregate_id, reference, business_id, tenant_id, slot_id, customer_name,
            customer_phone, idempotency_key, at)
        return bool(inserted)

    async def take_place(self, slot_id: int) -> bool:
        taken = await self._conn.fetchval(
            "update slots set booked = booked + 1 where id = $1 and booked < capacity"
            " returning booked", slot_id)
        return taken is not None

    async def free_place(self, slot_id: int) -> None:
        await self._conn.execute(
            "update slots set booked = booked - 1 where id = $1 and booked > 0", slot_id)

    async def slots_from(self, business_id: uuid.UUID, day: date
                         ) -> list[tuple[int, date, time]]:
        rows = await self._conn.fetch(
            "select id, slot_date, start_time from slots where business_id = $1"
            " and slot_date >= $2 order by slot_date, start_time", business_id, day)
        return [(r["id"], r["slot_date"], r["start_time"]) for r in rows]

    async def set_capacity(self, slot_id: int, capacity: int) -> None:
        # greatest(): under READ COMMITTED a booking that commits first is waited for and
        # the expression re-read on its row, so the check (booked <= capacity) holds.
        await self._conn.execute(
            "update slots set capacity = greatest($2, booked) where id = $1"
            " and capacity <> greatest($2, booked)", slot_id, capacity)

    async def by_key(self, business_id: uuid.UUID, key: str) -> BookingRow | None:
        return _booking(await self._conn.fetchrow(
            f"select {_BOOKING} from bookings b join slots s on s.id = b.slot_id"
            " where b.business_id = $1 and b.idempotency_key = $2", business_id, key))

    async def by_reference(self, reference: str, *, tenant_id: uuid.UUID | None = None,
                           business_id: uuid.UUID | None = None) -> BookingRow | None:
        return _booking(await self._conn.fetchrow(
            f"select {_BOOKING} from bookings b join slots s on s.id = b.slot_id"
            " where b.reference = $1 and ($2::uuid is null or b.tenant_id = $2)"
            " and ($3::uuid is null or b.business_id = $3)", reference, tenant_id, business_id))

    async def cancel(self, booking_id: int, at: datetime) -> bool:
        status = await self._conn.execute(
            "update bookings set status = 'cancelled', cancelled_at = $2"
            " where id = $1 and status = 'confirmed'", booking_id, at)
        return bool(status == "UPDATE 1")

    async def slots(self, business_id: uuid.UUID, days: Sequence[date]) -> list[SlotRow]:
        rows = await self._conn.fetch(
            "select slot_date, start_time, end_time, capacity, booked from slots"
            " where business_id = $1 and slot_date = any($2::date[])"
            " order by slot_date, start_time", business_id, list(days))
        return [SlotRow(**dict(r)) for r in rows]

    async def listed(self, tenant_id: uuid.UUID, day: date, business_id: uuid.UUID | None
                     ) -> list[BookingRow]:
        rows = await self._conn.fetch(
            f"select {_BOOKING} from bookings b join slots s on s.id = b.slot_id"
            " where b.tenant_id = $1 and s.slot_date = $2"
            " and ($3::uuid is null or b.business_id = $3)"
            " order by s.start_time, b.id", tenant_id, day, business_id)
        return [r for r in map(_booking, rows) if r is not None]
