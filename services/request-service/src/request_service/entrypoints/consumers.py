"""The CALLS consumer: which events request-service reads, wired to the projection."""

from __future__ import annotations

from ringbook.bus.worker import ConsumerSpec, Handler
from ringbook.clock import Clock
from ringbook.contracts import calls
from ringbook.contracts.streams import CALLS
from ringbook.events import Envelope
from ringbook.store.database import Conn

from request_service.adapters.pg_requests import PgRequestTransaction
from request_service.application.projection import CONSUMER, project_call_event


def calls_consumer(clock: Clock) -> tuple[ConsumerSpec, Handler]:
    # Only the call_job aggregate (one per request): any other aggregate the calls
    # context grows later is not part of a request's story.
    spec = ConsumerSpec(
        durable=CONSUMER,
        stream=CALLS,
        filter_subjects=[CALLS.subject_filter(aggregate=calls.AGGREGATE)],
    )

    async def handle(conn: Conn, event: Envelope) -> None:
        # ``conn`` is in the worker's transaction, which already holds the inbox claim.
        await project_call_event(PgRequestTransaction(conn), event, clock=clock)

    return spec, handle
