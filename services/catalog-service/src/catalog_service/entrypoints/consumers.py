"""The consumers (tool usage, booking SMS), wired to their handlers on the pull worker's
transaction."""

from __future__ import annotations

from ringbook.bus.worker import ConsumerSpec, Handler
from ringbook.clock import Clock
from ringbook.events import Envelope
from ringbook.store.database import Conn

from catalog_service.adapters.pg_catalog import PgToolUsage
from catalog_service.application import booking_sms
from catalog_service.application.booking_sms import SmsSender
from catalog_service.application.tool_usage import SPEC, on_tool_used


def tool_usage_consumer() -> tuple[ConsumerSpec, Handler]:
    async def handle(conn: Conn, event: Envelope) -> None:
        await on_tool_used(PgToolUsage(conn), event)

    return SPEC, handle


def booking_sms_consumer(sender: SmsSender, *, from_number: str | None, clock: Clock
                         ) -> tuple[ConsumerSpec, Handler]:
    async def handle(_: Conn, event: Envelope) -> None:
        await booking_sms.on_booking_made(sender, event, from_number=from_number,
                                          now=clock.now())

    return booking_sms.SPEC, handle
