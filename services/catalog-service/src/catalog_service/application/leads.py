"""The sales team's reads and writes of leads (``/api/leads``, ``/leads/needs-action``).

An edit of what the lead says (status, notes, channel, last contact, DISG type) is
analysed again; an edit of the next action itself (``needs_action``,
``next_action_at``, ``next_action_description``) is the salesperson's decision and is
not sent back to the model, which would overrule it.
"""

from __future__ import annotations

import uuid
from typing import Any

from ringbook.clock import Clock
from ringbook.contracts.leads import LeadDeleted, LeadState, LeadUpdated

from catalog_service.application.errors import InvalidInput, NotFound
from catalog_service.application.events import EventBatch
from catalog_service.application.lead_ports import LeadFilter, LeadStore
from catalog_service.domain.leads import LeadRecord, same_content

LEAD = "Lead"
DECISION_FIELDS = frozenset({"needs_action", "next_action_at", "next_action_description"})


async def get_lead(store: LeadStore, tenant_id: uuid.UUID, lead_id: uuid.UUID) -> LeadRecord:
    async with store.transaction() as tx:
        record = await tx.get(tenant_id, lead_id)
    if record is None:
        raise NotFound(LEAD)
    return record


async def list_leads(store: LeadStore, tenant_id: uuid.UUID, where: LeadFilter, *,
                     limit: int, offset: int) -> tuple[list[LeadRecord], int]:
    async with store.transaction() as tx:
        return await tx.page(tenant_id, where, limit=limit, offset=offset)


async def leads_needing_action(store: LeadStore, tenant_id: uuid.UUID, limit: int
                               ) -> list[LeadRecord]:
    async with store.transaction() as tx:
        return await tx.needing_action(tenant_id, limit)


async def update_lead(store: LeadStore, clock: Clock, tenant_id: uuid.UUID,
                      lead_id: uuid.UUID, changes: dict[str, Any]) -> LeadRecord:
    async with store.transaction() as tx:
        record = await tx.get(tenant_id, lead_id, lock=True)
        if record is None:
            raise NotFound(LEAD)
        last_contact = changes.get("last_contact")
        if last_contact is not None and last_contact > clock.now().date():
            raise InvalidInput("last_contact", "may not be in the future")
        state = LeadState.model_validate({**record.state.model_dump(), **changes})
        if state != record.state:
            batch = EventBatch(tenant_id, clock)
            batch.add(lead_id, LeadUpdated(**state.model_dump()), after=record.version)
            decided = bool(DECISION_FIELDS & changes.keys())
            await tx.record(batch.events,
                            analyse=not decided and not same_content(state, record.state))
            record = await tx.get(tenant_id, lead_id)
    assert record is not None
    return record


async def delete_lead(store: LeadStore, clock: Clock, tenant_id: uuid.UUID,
                      lead_id: uuid.UUID) -> None:
    async with store.transaction() as tx:
        record = await tx.get(tenant_id, lead_id, lock=True)
        if record is None:
            raise NotFound(LEAD)
        batch = EventBatch(tenant_id, clock)
        batch.add(lead_id, LeadDeleted(email=record.state.email, phone=record.state.phone),
                  after=record.version)
        await tx.record(batch.events, analyse=False)
