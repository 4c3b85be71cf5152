"""Keeping catalog-service's configuration that calls depend on: who owns each business
number (inbound calls belong to that tenant) and each tenant's opening hours for the
numbers it calls (outbound calls obey them).

The CATALOG stream's snapshots (``*_added`` / ``*_created`` / ``*_updated``) carry an
aggregate's whole state, so each is an upsert; a release or deletion ends the
aggregate. They are applied in version order per aggregate (``in_order``): an older
snapshot never overwrites a newer one, and a redelivered event (already applied, or
its inbox claim already taken) changes nothing. Other catalog events (assistants,
tools, files) do not concern calls' orchestration and are not subscribed to.
"""

from __future__ import annotations

from ringbook.bus.worker import PoisonEvent
from ringbook.contracts.catalog import (
    BUSINESS_HOURS,
    BusinessHoursCleared,
    BusinessHoursSet,
    ClientDeleted,
    ClientState,
    PhoneNumberReleased,
    PhoneNumberState,
)
from ringbook.events import Envelope
from ringbook.logging import get_logger
from ringbook.phone import InvalidPhoneNumber, to_e164

from call_orchestrator.application.ports import Transaction
from call_orchestrator.domain.catalog import (
    CLIENT,
    PHONE_NUMBER,
    ConfiguredHours,
    NumberOwner,
    OwnerKind,
)

log = get_logger(__name__)

CATALOG_CONSUMER = "call-orchestrator-catalog"
# The aggregates whose events this projection follows (its consumer's filter).
FOLLOWED_AGGREGATES = (PHONE_NUMBER, CLIENT, BUSINESS_HOURS)


async def on_catalog_event(tx: Transaction, event: Envelope,
                           consumer: str = CATALOG_CONSUMER) -> None:
    """The catalog consumer's handler, in the pull worker's transaction."""
    if not await tx.catalog.in_order(consumer, event):
        log.info("catalog_event_already_applied", aggregate_id=str(event.aggregate_id),
                 version=event.version)
        return
    data, tenant = event.data, event.tenant_id
    if isinstance(data, PhoneNumberState | ClientState):
        kind: OwnerKind = PHONE_NUMBER if isinstance(data, PhoneNumberState) else CLIENT
        owner = NumberOwner(tenant, kind, event.aggregate_id)
        await tx.catalog.put_number(owner, _e164(data.phone_number), event.occurred_at)
    elif isinstance(data, PhoneNumberReleased):
        await tx.catalog.drop_number(tenant, PHONE_NUMBER, event.aggregate_id)
    elif isinstance(data, ClientDeleted):
        await tx.catalog.drop_number(tenant, CLIENT, event.aggregate_id)
    elif isinstance(data, BusinessHoursSet):
        hours = ConfiguredHours(data.weekly_hours, data.timezone)
        try:
            hours.check()
        except ValueError as exc:
            # catalog-service accepts only hours this same code parses: never obeyable.
            raise PoisonEvent(f"business hours cannot be obeyed: {exc}") from exc
        await tx.catalog.set_hours(tenant, _e164(data.number), hours)
    elif isinstance(data, BusinessHoursCleared):
        await tx.catalog.clear_hours(tenant, _e164(data.number))


def _e164(number: str) -> str:
    # The contract says E.164; normalising keeps the key exactly the form calls carry.
    try:
        return to_e164(number, field="phone_number")
    except InvalidPhoneNumber as exc:
        raise PoisonEvent(f"not a phone number: {exc}") from exc
