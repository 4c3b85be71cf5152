"""The projection's two durable consumers, wired to its handlers: each runs in the pull
worker's transaction (which already holds the inbox claim), through the adapter on
that transaction's connection."""

from __future__ import annotations

from ringbook.bus.worker import ConsumerSpec, Handler
from ringbook.events import Envelope
from ringbook.store.database import Conn

from analytics_service.adapters.request_facts_repository import PgFactsTransaction
from analytics_service.application.projection import (
    CALLS_SPEC,
    REQUESTS_SPEC,
    on_call_event,
    on_request_event,
)


def requests_consumer() -> tuple[ConsumerSpec, Handler]:
    async def handle(conn: Conn, event: Envelope) -> None:
        await on_request_event(PgFactsTransaction(conn), event)

    return REQUESTS_SPEC, handle


def calls_consumer() -> tuple[ConsumerSpec, Handler]:
    async def handle(conn: Conn, event: Envelope) -> None:
        await on_call_event(PgFactsTransaction(conn), event)

    return CALLS_SPEC, handle
