"""What post-call analysis needs from the outside world: the LLM (``CallAnalyzer``) and
the analysis jobs' store, as protocols. The adapters (the ``openai`` SDK, asyncpg) are
in ``analytics_service.adapters``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ringbook.events import Envelope

from analytics_service.domain.call_analysis import CallAnalysis, ExtractionField


class AnalyzerFailed(Exception):
    """The LLM did not give a usable analysis (unreachable, an error status, a refusal,
    an answer outside the schema). The job is retried later."""


class CallAnalyzer(Protocol):
    @property
    def model(self) -> str:
        """The model's name, recorded in the ``call_analyzed`` event."""
        ...

    async def analyse(
        self, transcript: str, hints: Sequence[str], fields: Sequence[ExtractionField]
    ) -> CallAnalysis:
        """Summary, sentiment, success and ``fields`` of one call; raises AnalyzerFailed."""
        ...


@dataclass(frozen=True)
class AnalysisJob:
    """One call waiting for its analysis (one job per call of the log)."""

    call_id: uuid.UUID
    tenant_id: uuid.UUID
    # The event that finished the call: the analysis is caused by it and correlates
    # like it (a conversation's request, a logged call's own id).
    source_event_id: uuid.UUID
    correlation_id: uuid.UUID
    transcript: str
    hints: tuple[str, ...]
    fields: tuple[ExtractionField, ...] = ()
    attempts: int = 0


class JobRecorder(Protocol):
    """The jobs inside the pull worker's transaction (which holds the event's inbox
    claim): a job is recorded with that claim or not at all."""

    async def record(self, job: AnalysisJob, due_at: datetime) -> bool:
        """Insert the job; False if the call already has one (a replay)."""
        ...


class ClaimedJob(Protocol):
    """A due job, row-locked by this worker until its transaction ends: no other
    replica sees it meanwhile (``for update skip locked``)."""

    job: AnalysisJob

    async def complete(self, event: Envelope) -> None:
        """Append ``call_analyzed`` through the event store (and its outbox) and mark the
        job done, in the claim's transaction."""
        ...

    async def retry(self, at: datetime, error: str) -> None: ...

    async def fail(self, error: str) -> None:
        """No attempts left: the job stays, failed, with its last error."""
        ...


class JobQueue(Protocol):
    def claim_due(self, now: datetime) -> AbstractAsyncContextManager[ClaimedJob | None]:
        """The oldest due job, locked; the transaction commits when the block ends."""
        ...
