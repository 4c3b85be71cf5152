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
    # The call job (dialing) and the conversation (booking, transcript) both tell the
    # request's story; inbound calls (no request behind them) are not followed.
    spec = ConsumerSpec(durable=CONSUMER, stream=CALLS, filter_subjects=calls.REQUEST_SUBJECTS)

    async def handle(conn: Conn, event: Envelope) -> None:
        # ``conn`` is in the worker's transaction, which already holds the inbox claim.
        await project_call_event(PgRequestTransaction(conn), event, clock=clock)

    return spec, handle
