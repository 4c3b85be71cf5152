"""The model's analysis of leads: background lanes that lease due jobs, ask the model,
and record ``lead_analyzed``; and the same on demand (``POST /ai`` ``analyze_lead``).

Invariants, and why they hold:

* A verdict is applied only to the version it judged: the lane re-reads the lead under
  a row lock and appends at ``of_version + 1``; if the lead changed meanwhile, the change
  queued a job for its new version and this verdict is dropped (never an old verdict
  over new data).
* One verdict per version even with several replicas: a job is leased to one lane at a
  time, and two lanes that both judged a version (a lease ran out) cannot both append
  ``of_version + 1``: the event store refuses the second.
* Nothing waits on the model inside a transaction: the lease is taken and committed
  first, so an edit or an import never blocks behind a slow answer.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from ringbook.backoff import BackoffPolicy
from ringbook.clock import Clock
from ringbook.contracts.leads import LeadAnalyzed
from ringbook.logging import get_logger
from ringbook.store.event_store import ConcurrencyConflict

from catalog_service.application.errors import NotFound
from catalog_service.application.events import EventBatch
from catalog_service.application.lead_ports import (
    AnalysisJob,
    AnalysisJobs,
    LeadModel,
    LeadStore,
    ModelFailed,
)
from catalog_service.domain.lead_analysis import LeadVerdict, apply_verdict, as_asked
from catalog_service.domain.leads import LeadRecord

log = get_logger(__name__)


async def record_verdict(store: LeadStore, clock: Clock, *, tenant_id: uuid.UUID,
                         lead_id: uuid.UUID, of_version: int, verdict: LeadVerdict,
                         model: str) -> LeadRecord | None:
    """Apply the verdict if the lead is still at ``of_version``; None: it changed (or was
    deleted) since, and the verdict is dropped."""
    try:
        async with store.transaction() as tx:
            record = await tx.get(tenant_id, lead_id, lock=True)
            if record is None or record.version != of_version:
                return None
            state = apply_verdict(record.state, verdict, clock.now().date())
            batch = EventBatch(tenant_id, clock)
            batch.add(lead_id, LeadAnalyzed(**state.model_dump(), of_version=of_version,
                                            reason=verdict.reason, model=model),
                      after=of_version)
            await tx.record(batch.events, analyse=False)
            await tx.job_done(lead_id, of_version)
            return await tx.get(tenant_id, lead_id)
    except ConcurrencyConflict:
        return None  # another lane recorded this version's verdict first


async def analyse_now(store: LeadStore, model: LeadModel, clock: Clock,
                      tenant_id: uuid.UUID, lead_id: uuid.UUID, *, default_language: str
                      ) -> tuple[LeadRecord, LeadVerdict]:
    """``analyze_lead`` of a stored lead: raises NotFound and ModelFailed."""
    async with store.transaction() as tx:
        record = await tx.get(tenant_id, lead_id)
    if record is None:
        raise NotFound("Lead")
    verdict = await model.analyse(as_asked(record.state, default_language), clock.now().date())
    stored = await record_verdict(store, clock, tenant_id=tenant_id, lead_id=lead_id,
                                  of_version=record.version, verdict=verdict,
                                  model=model.model)
    return stored or record, verdict


class LeadAnalysisLane:
    def __init__(self, *, store: LeadStore, jobs: AnalysisJobs, model: LeadModel,
                 policy: BackoffPolicy, clock: Clock, poll_seconds: float,
                 lease_seconds: float, default_language: str) -> None:
        self._store, self._jobs, self._model = store, jobs, model
        self._language = default_language
        self._policy, self._clock = policy, clock
        self._poll, self._lease = poll_seconds, timedelta(seconds=lease_seconds)

    async def run_once(self) -> bool:
        """Analyse one due lead; False when none is due."""
        now = self._clock.now()
        job = await self._jobs.lease(now, now + self._lease)
        if job is None:
            return False
        try:
            await self._analyse(job)
        except ModelFailed as exc:
            await self._failed(job, str(exc) or type(exc).__name__)
        except Exception as exc:  # a bug in an adapter must not stop the lane
            log.exception("lead_analysis_crashed", lead_id=str(job.lead_id))
            await self._failed(job, repr(exc))
        return True

    async def _analyse(self, job: AnalysisJob) -> None:
        async with self._store.transaction() as tx:
            record = await tx.get(job.tenant_id, job.lead_id)
            if record is not None and record.version != job.of_version:
                # Changed since: a content change queued a newer job already; any other
                # change (an analysis on demand, a salesperson's decision) ends this one.
                await tx.job_done(job.lead_id, job.of_version)
        if record is None or record.version != job.of_version:
            return
        verdict = await self._model.analyse(as_asked(record.state, self._language),
                                            self._clock.now().date())
        await record_verdict(self._store, self._clock, tenant_id=job.tenant_id,
                             lead_id=job.lead_id, of_version=job.of_version,
                             verdict=verdict, model=self._model.model)

    async def _failed(self, job: AnalysisJob, error: str) -> None:
        retry_at = self._policy.after_failure(job.attempts, self._clock.now())
        await self._jobs.failed(job, error, retry_at)
        if retry_at is None:
            log.error("lead_analysis_failed", lead_id=str(job.lead_id),
                      attempts=job.attempts, error=error)
        else:
            log.warning("lead_analysis_retry", lead_id=str(job.lead_id),
                        attempts=job.attempts, retry_at=retry_at.isoformat(), error=error)

    async def run(self) -> None:
        """Work while jobs are due, then poll; a store outage is waited out here (the
        lease runs out and the job is taken again)."""
        while True:
            try:
                busy = await self.run_once()
            except Exception:
                log.exception("lead_analysis_lane_error")
                busy = False
            if not busy:
                await asyncio.sleep(self._poll)
