"""The projections' durable consumers, wired to its handlers: each runs in the pull
worker's transaction (which already holds the inbox claim), through the adapter on
that transaction's connection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from ringbook.bus.worker import ConsumerSpec, Handler
from ringbook.events import Envelope
from ringbook.store.database import Conn

from analytics_service.adapters.call_log_repository import PgCallLogTransaction
from analytics_service.adapters.request_facts_repository import PgFactsTransaction
from analytics_service.application import call_log_projection as call_log
from analytics_service.application.call_log_projection import (
    ANSWERERS_SPEC,
    CALL_LOG_SPEC,
    CLIENTS_SPEC,
    LOGGED_CALLS_SPEC,
)
from analytics_service.application.ports import CallLogTransaction
from analytics_service.application.projection import (
    CALLS_SPEC,
    REQUESTS_SPEC,
    on_call_event,
    on_request_event,
)
from analytics_service.domain.call_cost import Prices


def requests_consumer() -> tuple[ConsumerSpec, Handler]:
    async def handle(conn: Conn, event: Envelope) -> None:
        await on_request_event(PgFactsTransaction(conn), event)

    return REQUESTS_SPEC, handle


def calls_consumer() -> tuple[ConsumerSpec, Handler]:
    async def handle(conn: Conn, event: Envelope) -> None:
        await on_call_event(PgFactsTransaction(conn), event)

    return CALLS_SPEC, handle


def call_log_consumers(prices: Prices) -> list[tuple[ConsumerSpec, Handler]]:
    """The call log's four durables: CALLS (its calls priced at ``prices``), CATALOG
    clients, ANALYTICS, and CATALOG assistants and numbers (who answers a line)."""
    wired: list[tuple[ConsumerSpec, Handler]] = []
    for spec, on_event in (
        (CALL_LOG_SPEC, partial(call_log.on_call_event_at, prices)),
        (CLIENTS_SPEC, call_log.on_client_event),
        (LOGGED_CALLS_SPEC, call_log.on_analytics_event),
        (ANSWERERS_SPEC, call_log.on_answerer_event),
    ):
        wired.append((spec, _handler(on_event)))
    return wired


def _handler(
    on_event: Callable[[CallLogTransaction, Envelope], Awaitable[None]],
) -> Handler:
    async def handle(conn: Conn, event: Envelope) -> None:
        await on_event(PgCallLogTransaction(conn), event)

    return handle
