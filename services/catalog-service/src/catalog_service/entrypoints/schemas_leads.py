"""Request and response bodies of seed 003's leads: ``/import/leads``,
``/leads/needs-action`` and ``/api/leads`` (the seed's frontend reads ``{"leads": [...]}``
and the lead's own fields by name)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from catalog_service.application.lead_import import ImportSummary
from catalog_service.domain.lead_vocabulary import channel_of, disg_of, status_of
from catalog_service.domain.leads import AnalysisState, LeadRecord
from catalog_service.entrypoints.fields import Body, LongText, Text, refuse_null

Status = Annotated[str, Field(min_length=1, max_length=40)]


class RowErrorOut(BaseModel):
    row: int = Field(description="the row as a spreadsheet numbers it (the header is 1); "
                                 "for a JSON array, the item's position from 1")
    field: str | None = Field(description="the column at fault; null: the whole row")
    error: str


class ImportOut(BaseModel):
    """Seed 003's answer, exactly. Every row is imported or named in ``errors`` (once
    per fault), so ``total_rows`` is ``imported_count`` plus the rows ``errors`` names."""

    total_rows: int
    imported_count: int
    needs_action_count: int
    without_last_contact_count: int
    errors: list[RowErrorOut]

    @classmethod
    def of(cls, summary: ImportSummary) -> ImportOut:
        return cls(total_rows=summary.total_rows, imported_count=summary.imported_count,
                   needs_action_count=summary.needs_action_count,
                   without_last_contact_count=summary.without_last_contact_count,
                   errors=[RowErrorOut(row=e.row, field=e.field, error=e.error)
                           for e in summary.errors])


class AnalysisOut(BaseModel):
    state: AnalysisState
    reason: str | None
    model: str | None
    analyzed_at: datetime | None


class LeadOut(BaseModel):
    id: uuid.UUID
    name: str
    email: str | None
    phone: str | None
    status: str | None
    channel: str | None
    notes: str | None
    last_contact: date | None
    disg_type: str | None
    language: str | None
    extra: dict[str, str]
    needs_action: bool
    next_action_at: date | None
    next_action_description: str | None
    import_batch_id: uuid.UUID | None
    analysis: AnalysisOut
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, record: LeadRecord) -> LeadOut:
        return cls(id=record.id, **record.state.model_dump(),
                   analysis=AnalysisOut(state=record.analysis_state,
                                        reason=record.analysis_reason,
                                        model=record.analysis_model,
                                        analyzed_at=record.analyzed_at),
                   created_at=record.created_at, updated_at=record.updated_at)


class LeadsOut(BaseModel):
    leads: list[LeadOut]


class LeadPageOut(LeadsOut):
    total: int
    limit: int
    offset: int


class LeadEnvelope(BaseModel):
    lead: LeadOut


class LeadDeletedOut(BaseModel):
    message: Literal["Lead deleted"] = "Lead deleted"


class LeadChange(Body):
    """PATCH: the fields given change. ``status`` null clears it (the lead then needs
    action). Setting ``needs_action`` or the next action is the salesperson's decision:
    the model does not analyse the lead again for it."""

    status: Status | None = None
    notes: LongText | None = None
    channel: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    last_contact: date | None = None
    disg_type: Literal["D", "I", "S", "G", "C"] | None = None
    needs_action: bool | None = None
    next_action_at: date | None = None
    next_action_description: Text | None = None

    _not_null = field_validator("needs_action")(refuse_null)

    def normalised(self) -> dict[str, Any]:
        changes = self.changes()
        if changes.get("status") is not None:
            changes["status"] = status_of(changes["status"])
        if changes.get("channel") is not None:
            changes["channel"] = channel_of(changes["channel"])
        if changes.get("disg_type") is not None:
            changes["disg_type"] = disg_of(changes["disg_type"])
        if "notes" in changes and changes["notes"] is not None:
            changes["notes"] = changes["notes"].strip() or None
        return changes
