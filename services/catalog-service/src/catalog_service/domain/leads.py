"""A sales lead (seed 003): its record, the plain rules that say whether it needs action,
and how an imported row changes a lead that exists already.

The rules answer at once, at import; the model's analysis refines them later (see
:mod:`catalog_service.domain.lead_analysis`). Both say "needs action" for a lead nobody
has classified (no status), nobody has contacted (no last contact), or nobody has
contacted for ``stale_after_days``; a closed lead (won, lost, not interested) never does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from ringbook.contracts.leads import LeadState

from catalog_service.domain.lead_rows import LeadInput
from catalog_service.domain.lead_vocabulary import CLOSED_STATUSES

AnalysisState = Literal["pending", "analyzed", "failed"]

# The fields a person's data consists of: a re-import that changes none of them leaves
# the lead (and the model's verdict on it) as it is.
CONTENT_FIELDS = ("name", "email", "phone", "status", "channel", "notes", "last_contact",
                  "disg_type", "language", "extra")


@dataclass(frozen=True)
class LeadRecord:
    id: uuid.UUID
    tenant_id: uuid.UUID
    version: int
    state: LeadState
    analysis_state: AnalysisState
    analysis_reason: str | None
    analysis_model: str | None
    analyzed_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ActionRules:
    stale_after_days: int = 30

    def needs_action(self, state: LeadState, today: date) -> bool:
        if state.status is None:
            return True
        if state.status in CLOSED_STATUSES:
            return False
        if state.last_contact is None:
            return True
        return today - state.last_contact > timedelta(days=self.stale_after_days)


def content(state: LeadState) -> dict[str, object]:
    return state.model_dump(include=set(CONTENT_FIELDS))


def imported_state(row: LeadInput, existing: LeadState | None, *, batch_id: uuid.UUID,
                   rules: ActionRules, today: date) -> LeadState:
    """The lead after ``row`` is imported over ``existing`` (None: a new lead).

    A cell the file leaves empty keeps what the lead holds: an export with fewer
    columns, or a blank cell, must not erase what a salesperson wrote. The model's next
    action stays until it analyses the changed lead again."""
    given = {
        "name": row.name, "email": row.email, "phone": row.phone, "status": row.status,
        "channel": row.channel, "notes": row.notes, "last_contact": row.last_contact,
        "disg_type": row.disg_type, "language": row.language,
    }
    base = existing.model_dump() if existing is not None else {}
    merged = {**base, **{k: v for k, v in given.items() if v is not None}}
    merged["extra"] = {**base.get("extra", {}), **row.extra}
    merged["import_batch_id"] = batch_id
    state = LeadState.model_validate(merged)
    return state.model_copy(update={"needs_action": rules.needs_action(state, today)})


def same_content(a: LeadState, b: LeadState) -> bool:
    return content(a) == content(b)
