"""The request_facts projection: REQUESTS and CALLS events -> one row per request.

Both handlers run inside the pull worker's transaction, after it claimed the event in
the inbox (so a duplicate never reaches them). Each aggregate's events are applied in
version order via ``in_order`` (G8); the position is recorded per consumer, and since
REQUESTS (aggregate ``request``) and CALLS (aggregate ``call_job``) share the request id
as aggregate id, each stream keeps its own position under its own consumer name.

The two streams are consumed independently, so a call event may arrive before its
request was projected: it is then redelivered later (``RetryLater``), never dropped.
"""

from __future__ import annotations

from ringbook.bus.worker import ConsumerSpec, PoisonEvent, RetryLater
from ringbook.contracts.calls import REQUEST_SUBJECTS
from ringbook.contracts.request_status import IllegalTransition
from ringbook.contracts.requests import RequestReceived
from ringbook.contracts.streams import CALLS, REQUESTS
from ringbook.events import Envelope
from ringbook.logging import get_logger

from analytics_service.application.ports import FactsTransaction
from analytics_service.domain.request_fact import RequestFact, advance, fact_from_received

log = get_logger(__name__)

REQUESTS_CONSUMER = "analytics-requests"
CALLS_CONSUMER = "analytics-calls"

# A call event waits for its request_received on the other stream. Waiting up to
# ~2 minutes (60 deliveries, 2 s apart) covers a REQUESTS consumer that lags behind,
# e.g. while both replay from sequence 1; beyond that it is dead-lettered (G9).
WAIT_FOR_REQUEST_SECONDS = 2.0
CALLS_MAX_DELIVER = 60

REQUESTS_SPEC = ConsumerSpec(durable=REQUESTS_CONSUMER, stream=REQUESTS)
CALLS_SPEC = ConsumerSpec(durable=CALLS_CONSUMER, stream=CALLS, max_deliver=CALLS_MAX_DELIVER,
                          filter_subjects=REQUEST_SUBJECTS)


async def on_request_event(facts: FactsTransaction, event: Envelope) -> None:
    """Handler of the ``analytics-requests`` consumer."""
    if not await facts.in_order(REQUESTS_CONSUMER, event):
        return  # an older version, already applied
    if isinstance(event.data, RequestReceived):
        if not await facts.insert(fact_from_received(event)):
            log.warning("request_already_projected", request_id=str(event.aggregate_id))
        return
    # Any later request event (request_canceled): version 1 was applied before this one
    # (in_order), so the fact exists unless request_received was dead-lettered.
    fact = await facts.get_for_update(event.aggregate_id)
    if fact is None:
        raise PoisonEvent(f"{event.type} for request {event.aggregate_id} that was never received")
    await _apply(facts, fact, event)


async def on_call_event(facts: FactsTransaction, event: Envelope) -> None:
    """Handler of the ``analytics-calls`` consumer: every calls-context event correlates
    to its request, whichever aggregate (call_job, conversation) it belongs to."""
    fact = await facts.get_for_update(event.correlation_id)
    if fact is None:
        # The worker's transaction rolls back, so nothing (not even the inbox claim or
        # the aggregate position) is recorded; the redelivery starts afresh.
        raise RetryLater(
            f"request {event.correlation_id} not projected yet", delay=WAIT_FOR_REQUEST_SECONDS
        )
    if not await facts.in_order(CALLS_CONSUMER, event):
        return
    await _apply(facts, fact, event)


async def _apply(facts: FactsTransaction, fact: RequestFact, event: Envelope) -> None:
    if event.tenant_id != fact.tenant_id:
        # Never let one tenant's event move another tenant's request.
        raise PoisonEvent(f"{event.type} of tenant {event.tenant_id} for a request of another")
    try:
        moved = advance(fact, event)
    except IllegalTransition as exc:
        # The status machine refuses it (e.g. call_started after request_canceled): the
        # event is consumed, the status stays where it was.
        log.warning(
            "status_transition_refused",
            request_id=str(fact.request_id),
            current=exc.current.value,
            target=exc.target.value,
            event_type=exc.event_type,
        )
        return
    if moved is not None:
        await facts.update_status(moved)
