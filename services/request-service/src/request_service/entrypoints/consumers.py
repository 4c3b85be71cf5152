"""The CALLS consumer: which events request-service reads, wired to the projection."""

from __future__ import annotations

from ringbook.bus.worker import ConsumerSpec, Handler
from ringbook.clock import Clock
from ringbook.contracts.streams import CALLS
from ringbook.events import Envelope
from ringbook.store.database import Conn

from request_service.adapters.pg_requests import PgRequestTransaction
from request_service.application.projection import CONSUMER, project_call_event


def calls_consumer(clock: Clock) -> tuple[ConsumerSpec, Handler]:
    # The whole calls context: the call job (dialing) and the conversation (booking,
    # transcript) both tell the request's story; each correlates to its request.
    spec = ConsumerSpec(durable=CONSUMER, stream=CALLS)

    async def handle(conn: Conn, event: Envelope) -> None:
        # ``conn`` is in the worker's transaction, which already holds the inbox claim.
        await project_call_event(PgRequestTransaction(conn), event, clock=clock)

    return spec, handle
