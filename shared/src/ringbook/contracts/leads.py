"""Events of sales leads (seed 003): existing customers imported from spreadsheets,
analysed by a language model, worked by a sales team. catalog-service writes them to the
CATALOG stream.

Rules every consumer may rely on:

* ``lead_created``, ``lead_updated`` and ``lead_analyzed`` carry the lead's WHOLE state
  after the change (a snapshot), like the catalog's other aggregates: a projection
  upserts it and never merges.
* A lead's identity within its tenant is its e-mail, else its phone number (E.164 when it
  parses): a re-import of the same person is ``lead_updated`` on the same aggregate,
  never a second lead.
* ``lead_analyzed`` is the model's verdict on one version of the lead (``of_version``);
  a lead changed since is analysed again, and an older verdict is never applied over a
  newer state (catalog-service appends it only at the version it analysed).
* Each import ends with one ``lead_import_completed`` on the import's own aggregate (its
  id is the leads' ``import_batch_id``), after the batch's lead events.
* ``lead_deleted`` ends the aggregate.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import Field

from ringbook.contracts.catalogue import register
from ringbook.contracts.streams import CATALOG
from ringbook.events import EventData

LEAD = "lead"
LEAD_IMPORT = "lead_import"

LeadSource = Literal["import", "api"]
ImportFormat = Literal["csv", "json"]


class LeadState(EventData):
    name: str
    email: str | None = None  # normalised, lowercase
    phone: str | None = None  # E.164 where it parsed, else as written
    status: str | None = None  # lowercase; None: not set (the lead needs action)
    channel: str | None = None  # "WhatsApp", "E-Mail", "Telefon", "SMS", "LinkedIn", …
    notes: str | None = None
    last_contact: date | None = None
    disg_type: Literal["D", "I", "S", "G"] | None = None
    language: str | None = None  # ISO 639-1
    extra: dict[str, str] = Field(default_factory=dict)  # the file's other columns
    needs_action: bool = True
    next_action_at: date | None = None
    next_action_description: str | None = None
    import_batch_id: uuid.UUID | None = None


class LeadCreated(LeadState):
    source: LeadSource = "import"


class LeadUpdated(LeadState):
    """A re-import that changed the lead, or a salesperson's edit."""


class LeadAnalyzed(LeadState):
    """The state after the model's verdict was applied (status, needs_action, next
    action, last contact), with the model's reason."""

    of_version: int = Field(ge=1)
    reason: str
    model: str


class LeadDeleted(EventData):
    email: str | None = None
    phone: str | None = None


class LeadImportCompleted(EventData):
    format: ImportFormat
    total_rows: int = Field(ge=0)
    imported_count: int = Field(ge=0)
    created_count: int = Field(ge=0)
    updated_count: int = Field(ge=0)
    unchanged_count: int = Field(ge=0)
    needs_action_count: int = Field(ge=0)
    without_last_contact_count: int = Field(ge=0)
    error_count: int = Field(ge=0)


def _register() -> None:
    for type_, aggregate, model in (
        ("lead_created", LEAD, LeadCreated),
        ("lead_updated", LEAD, LeadUpdated),
        ("lead_analyzed", LEAD, LeadAnalyzed),
        ("lead_deleted", LEAD, LeadDeleted),
        ("lead_import_completed", LEAD_IMPORT, LeadImportCompleted),
    ):
        register(type_, aggregate=aggregate, stream=CATALOG, model=model)


_register()
