"""What the leads' use cases need from the outside world: the leads' store (one
transaction at a time, like the catalog's), the analysis jobs, and the language model.

The store is separate from :class:`~catalog_service.application.ports.CatalogTransaction`
because an import writes thousands of leads at once: its reads and writes are whole
batches (one statement for all the leads of a file), not one row per call.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol

from ringbook.contracts.leads import LeadState
from ringbook.events import Envelope

from catalog_service.domain.follow_ups import Draft, Turn
from catalog_service.domain.lead_analysis import LeadVerdict
from catalog_service.domain.leads import AnalysisState, LeadRecord

SortOrder = Literal["created_at", "-created_at", "name", "next_action_at", "last_contact"]


class ModelFailed(Exception):
    """The language model gave no usable answer (unreachable, an error status, a refusal,
    an answer outside the schema)."""


class LeadModel(Protocol):
    @property
    def model(self) -> str: ...

    async def analyse(self, lead: LeadState, today: date) -> LeadVerdict:
        """Raises ModelFailed."""
        ...

    async def draft(self, lead: LeadState, turns: Sequence[Turn], language: str,
                    today: date) -> Draft:
        """Raises ModelFailed."""
        ...


@dataclass(frozen=True)
class LeadFilter:
    status: str | None = None  # "none": leads without a status
    needs_action: bool | None = None
    channel: str | None = None
    import_batch_id: uuid.UUID | None = None
    search: str | None = None  # in name, e-mail, phone and notes
    analysis: AnalysisState | None = None
    sort: SortOrder = "-created_at"


@dataclass(frozen=True)
class AnalysisJob:
    lead_id: uuid.UUID
    tenant_id: uuid.UUID
    of_version: int
    attempts: int  # including the one this lease is for


class LeadTransaction(Protocol):
    async def serialize_imports(self, tenant_id: uuid.UUID) -> None:
        """Wait until no other import of the tenant runs (until this transaction ends):
        two files naming the same new person must not both create it."""
        ...

    async def get(self, tenant_id: uuid.UUID, lead_id: uuid.UUID, *, lock: bool = False
                  ) -> LeadRecord | None: ...

    async def by_keys(self, tenant_id: uuid.UUID, emails: Sequence[str],
                      phones: Sequence[str]) -> list[LeadRecord]:
        """The tenant's leads with any of these e-mails or phones, locked for update."""
        ...

    async def page(self, tenant_id: uuid.UUID, where: LeadFilter, *, limit: int,
                   offset: int) -> tuple[list[LeadRecord], int]:
        """One page and the number of leads that match in all."""
        ...

    async def needing_action(self, tenant_id: uuid.UUID, limit: int) -> list[LeadRecord]:
        """Leads needing action, those without a status or analysis first."""
        ...

    async def record(self, events: Sequence[Envelope], *, analyse: bool) -> None:
        """Append the events (with their outbox rows) and write their snapshots to the
        read model, all in one round trip or a few; ``analyse``: queue a job for each
        lead's new version (an earlier job of the lead is replaced)."""
        ...

    async def delete(self, lead_id: uuid.UUID) -> None: ...

    async def job_done(self, lead_id: uuid.UUID, of_version: int) -> None:
        """Drop the lead's job if it is still the one for ``of_version``."""
        ...


class LeadStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[LeadTransaction]:
        """Raises StoreUnavailable if Postgres cannot be reached."""
        ...


class AnalysisJobs(Protocol):
    async def lease(self, now: datetime, until: datetime) -> AnalysisJob | None:
        """The oldest due job, leased until ``until`` (no other lane takes it meanwhile);
        None: nothing is due."""
        ...

    async def failed(self, job: AnalysisJob, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt: due again at ``retry_at``, or None: failed for good
        (the lead's analysis_state too)."""
        ...
