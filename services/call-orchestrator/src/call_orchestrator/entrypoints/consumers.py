"""The orchestrator's durable consumers: which events it reads, wired to the use cases.

Each handler runs in the pull worker's transaction, which already holds the event's
inbox claim, so what the use case writes through ``PgTransaction(conn)`` commits with
that claim or not at all (G3).
"""

from __future__ import annotations

from ringbook.bus.worker import ConsumerSpec, Handler
from ringbook.contracts.calls import CONVERSATION
from ringbook.contracts.streams import CALLS, CATALOG, REQUESTS
from ringbook.events import Envelope
from ringbook.store.database import Conn

from call_orchestrator.adapters.unit_of_work import PgTransaction
from call_orchestrator.application.call_results import on_conversation_event
from call_orchestrator.application.catalog_events import (
    CATALOG_CONSUMER,
    FOLLOWED_AGGREGATES,
    on_catalog_event,
)
from call_orchestrator.application.context import Orchestration
from call_orchestrator.application.request_events import on_request_event

REQUESTS_CONSUMER = "call-orchestrator-requests"


def requests_consumer(ctx: Orchestration) -> tuple[ConsumerSpec, Handler]:
    """New and canceled requests."""

    async def handle(conn: Conn, event: Envelope) -> None:
        await on_request_event(PgTransaction(conn), ctx, event)

    return ConsumerSpec(durable=REQUESTS_CONSUMER, stream=REQUESTS), handle


def conversation_consumers(ctx: Orchestration) -> list[tuple[ConsumerSpec, Handler]]:
    """Conversations' reports (``call_completed``) and bookings (``booking_confirmed``),
    each on its own durable: a booking settles the job even when the report is lost."""

    async def handle(conn: Conn, event: Envelope) -> None:
        await on_conversation_event(PgTransaction(conn), ctx, event)

    return [
        (ConsumerSpec(durable=durable, stream=CALLS,
                      filter_subjects=[CALLS.subject_filter(aggregate=CONVERSATION,
                                                            event_type=event_type)]),
         handle)
        for durable, event_type in (("call-orchestrator-call-results", "call_completed"),
                                    ("call-orchestrator-bookings", "booking_confirmed"))
    ]


def catalog_consumer() -> tuple[ConsumerSpec, Handler]:
    """Business numbers' owners and tenants' business hours, from catalog-service."""

    async def handle(conn: Conn, event: Envelope) -> None:
        await on_catalog_event(PgTransaction(conn), event)

    filters = [CATALOG.subject_filter(aggregate=aggregate) for aggregate in FOLLOWED_AGGREGATES]
    return ConsumerSpec(durable=CATALOG_CONSUMER, stream=CATALOG, filter_subjects=filters), handle
