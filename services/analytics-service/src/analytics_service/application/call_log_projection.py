"""The call log projection: CALLS, CATALOG and ANALYTICS events -> ``calls`` and
``clients`` rows.

Every handler runs inside the pull worker's transaction, after the inbox claim, so a
redelivered event never reaches it twice. A call's events come from several aggregates
on two streams, consumed independently: rather than wait for an order that may never
hold, each event is a patch merged by order-independent rules (domain.call_record), so
the row is the same whichever arrives first. Clients and analyses are applied in
version order (``in_order``): a client's update must not be undone by its older create,
and a re-analysis must replace the earlier one, not the other way round.
"""

from __future__ import annotations

from ringbook.bus.worker import ConsumerSpec, PoisonEvent
from ringbook.contracts.call_log import CallAnalyzed, CallLogged
from ringbook.contracts.catalog import (
    ASSISTANT,
    CLIENT,
    PHONE_NUMBER,
    AssistantDeleted,
    AssistantState,
    ClientDeleted,
    ClientState,
    PhoneNumberReleased,
    PhoneNumberState,
)
from ringbook.contracts.streams import ANALYTICS, CALLS, CATALOG
from ringbook.events import Envelope

from analytics_service.application.ports import CallLogTransaction
from analytics_service.domain.call_cost import Prices, price_call
from analytics_service.domain.call_record import patch_from_call_event, patch_from_logged

CALL_LOG_CONSUMER = "analytics-call-log"
CLIENTS_CONSUMER = "analytics-clients"
LOGGED_CALLS_CONSUMER = "analytics-logged-calls"
ANSWERERS_CONSUMER = "analytics-answerers"

CALL_EVENT_TYPES = ("call_started", "call_connected", "call_failed", "call_completed")
CALL_LOG_SPEC = ConsumerSpec(
    durable=CALL_LOG_CONSUMER, stream=CALLS,
    filter_subjects=[CALLS.subject_filter(event_type=t) for t in CALL_EVENT_TYPES],
)
CLIENTS_SPEC = ConsumerSpec(durable=CLIENTS_CONSUMER, stream=CATALOG,
                            filter_subjects=[CATALOG.subject_filter(aggregate=CLIENT)])
LOGGED_CALLS_SPEC = ConsumerSpec(durable=LOGGED_CALLS_CONSUMER, stream=ANALYTICS)
# Every event of the two aggregates (not only the types applied), so that in_order sees
# each version and never waits for one the filter held back.
ANSWERERS_SPEC = ConsumerSpec(
    durable=ANSWERERS_CONSUMER, stream=CATALOG,
    filter_subjects=[CATALOG.subject_filter(aggregate=ASSISTANT),
                     CATALOG.subject_filter(aggregate=PHONE_NUMBER)])


def _refuse_other_tenant(written: bool, event: Envelope) -> None:
    if not written:
        # Never let one tenant's event write into another tenant's row.
        raise PoisonEvent(f"{event.type} of tenant {event.tenant_id} for a row of another")


async def on_call_event_at(prices: Prices, log: CallLogTransaction, event: Envelope) -> None:
    """Handler of ``analytics-call-log`` (CALLS: call_job, conversation, inbound_call),
    pricing our own calls at ``prices``."""
    patch = patch_from_call_event(event)
    if patch is None:
        return
    _refuse_other_tenant(await log.merge_call(patch), event)
    if patch.duration_seconds is not None or patch.usage is not None:
        # Priced from the merged row, not the event: the duration billed is the longest
        # reported and the usage may have come with another event of the call.
        await log.set_cost(patch.id, price_call(prices, await log.cost_inputs(patch.id)))


async def on_client_event(log: CallLogTransaction, event: Envelope) -> None:
    """Handler of ``analytics-clients`` (CATALOG client events)."""
    if not await log.in_order(CLIENTS_CONSUMER, event):
        return
    if isinstance(event.data, ClientState):
        _refuse_other_tenant(await log.put_client(event, event.data), event)
    elif isinstance(event.data, ClientDeleted):
        _refuse_other_tenant(await log.delete_client(event), event)


async def on_answerer_event(log: CallLogTransaction, event: Envelope) -> None:
    """Handler of ``analytics-answerers`` (CATALOG: assistants and phone numbers), who
    answers a number and what its assistant asks analysis to extract."""
    if not await log.in_order(ANSWERERS_CONSUMER, event):
        return
    data = event.data
    if isinstance(data, AssistantState):
        _refuse_other_tenant(await log.put_assistant(event, data), event)
    elif isinstance(data, AssistantDeleted):
        _refuse_other_tenant(await log.delete_assistant(event), event)
    elif isinstance(data, PhoneNumberState):
        _refuse_other_tenant(await log.put_number(event, data), event)
    elif isinstance(data, PhoneNumberReleased):
        _refuse_other_tenant(await log.release_number(event), event)
    # Tool and file links of an assistant: nothing the call log keeps.


async def on_analytics_event(log: CallLogTransaction, event: Envelope) -> None:
    """Handler of ``analytics-logged-calls`` (ANALYTICS: call_logged, call_analyzed).

    Only analyses go through ``in_order`` (their aggregate is ``call_analysis_id`` of
    the call): a ``call_logged`` is its aggregate's only event, merged idempotently."""
    data = event.data
    if isinstance(data, CallLogged | CallAnalyzed) and data.tenant_id != event.tenant_id:
        raise PoisonEvent(f"{event.type} of tenant {event.tenant_id} names another")
    if isinstance(data, CallLogged):
        _refuse_other_tenant(await log.merge_call(patch_from_logged(event)), event)
    elif isinstance(data, CallAnalyzed):
        if not await log.in_order(LOGGED_CALLS_CONSUMER, event):
            return  # an older analysis, already replaced
        _refuse_other_tenant(await log.record_analysis(event, data), event)
