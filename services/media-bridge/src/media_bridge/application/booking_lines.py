"""Consumer ``media-bridge-booking-lines``: which business numbers take bookings, from
the slot schedules of the CATALOG stream, so a call learns it from local Postgres and
never waits on catalog-service.

A consumer of its own rather than one more aggregate of ``media-bridge-catalog``: a new
durable starts at the stream's first event, so the schedules set before this
projection existed are applied too, which the older consumer (past them long ago)
would never deliver again. Each schedule's events apply in version order
(``in_order``); the worker's inbox makes a redelivery a no-op.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from ringbook.contracts import bookings as b
from ringbook.events import Envelope

BOOKING_LINES_CONSUMER = "media-bridge-booking-lines"


class BookingLineProjection(Protocol):
    """The projection's writes, inside the consumer's transaction (one event each)."""

    async def in_order(self, consumer: str, event: Envelope) -> bool: ...

    async def put_booking_line(self, event: Envelope, schedule: b.SlotScheduleSet) -> None:
        """Insert or replace the schedule's line; never moves it to another tenant."""
        ...

    async def drop_booking_line(self, schedule_id: uuid.UUID) -> None: ...


async def project_booking_line(projection: BookingLineProjection, event: Envelope) -> None:
    if event.aggregate != b.SLOT_SCHEDULE:
        return
    if not await projection.in_order(BOOKING_LINES_CONSUMER, event):
        return  # an older version, applied already
    match event.data:
        case b.SlotScheduleSet():
            await projection.put_booking_line(event, event.data)
        case b.SlotScheduleCleared():
            await projection.drop_booking_line(event.aggregate_id)
