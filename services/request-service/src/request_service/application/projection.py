"""The requests projection of the CALLS stream: timeline and status per request.

Runs inside the pull worker's transaction, which has already claimed the event in the
inbox, so everything here commits with that claim or not at all (G3). Per event:

1. lock the request row (serializes with cancel and with other events of the request);
   an unknown request is retried later, never dropped;
2. apply the request's call events strictly in version order (G8): an old version is
   skipped, a gap waits for the missing event;
3. record a timeline entry for EVERY event, even one whose status move is illegal (the
   user should see that a call started after they canceled);
4. move the status only as ``ringbook.contracts.request_status`` allows; an illegal
   transition is logged and never applied, so a status never moves backwards.
"""

from __future__ import annotations

from ringbook.bus.worker import PoisonEvent, RetryLater
from ringbook.clock import Clock
from ringbook.contracts.calls import BookingConfirmed
from ringbook.contracts.request_status import IllegalTransition, next_status
from ringbook.events import Envelope
from ringbook.logging import get_logger

from request_service.application.ports import RequestTransaction

CONSUMER = "request-service-calls"
log = get_logger(__name__)


async def project_call_event(tx: RequestTransaction, event: Envelope, *, clock: Clock) -> None:
    # Every calls-context event correlates to its request (call_job and conversation
    # aggregates alike), so the correlation id, not the aggregate id, names the request.
    request_id = event.correlation_id
    record = await tx.lock(request_id)
    if record is None:
        # The orchestrator reacts only to published request_received, which we commit
        # before publishing, so this "cannot happen"; if it does, wait rather than drop.
        raise RetryLater(f"request {request_id} is not (yet) known", delay=2.0)
    if record.tenant_id != event.tenant_id:
        # Applying another tenant's event to this request would leak across tenants.
        raise PoisonEvent(f"{event.type} for {request_id}: tenant does not match the request")
    if not await tx.in_order(CONSUMER, event):
        return
    try:
        moved = next_status(record.status, event)
    except IllegalTransition as exc:
        log.warning(
            "illegal_transition",
            request_id=str(request_id),
            correlation_id=str(event.correlation_id),
            event_id=str(event.id),
            current=str(exc.current),
            target=str(exc.target),
            event_type=exc.event_type,
        )
        moved = None
    await tx.add_timeline(request_id, event, moved or record.status)
    if moved is not None:
        summary = event.data.summary if isinstance(event.data, BookingConfirmed) else None
        await tx.set_status(request_id, moved, at=clock.now(), summary=summary)
