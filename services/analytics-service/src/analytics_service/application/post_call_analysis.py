"""Post-call analysis: every finished call with a transcript gets one analysis job, and
a background worker turns due jobs into ``call_analyzed`` events.

Recording (two durable consumers, in the pull worker's transaction with the inbox
claim): CALLS' ``call_completed`` of a conversation (outbound, media-bridge) or of an
inbound call, and ANALYTICS' ``call_logged``, each only with a transcript. The job's key
is the call's log id (``call_log_id(call_sid)`` for our calls, the ``logged_call``
aggregate id for logged ones), so a redelivered or replayed event records nothing new.
No ``in_order`` here: each call is finished by one event, and these consumers filter
out the aggregate's other versions, which ``in_order`` would wait for in vain.

Analysing (``AnalysisWorker``, a supervised task per lane): a lane claims the oldest due
job with ``for update skip locked`` (two replicas never hold the same job), asks the LLM
outside any other work, and in that same transaction either appends ``call_analyzed``
(version 1 of the call's ``call_analysis`` aggregate) through the event store and marks
the job done, or records the failure and the next attempt's time (``BackoffPolicy``). A
failing call therefore waits on its own backoff while other jobs are claimed; the log's
row exists from the call's own events and never waits for its analysis.
"""

from __future__ import annotations

import asyncio

from ringbook.backoff import BackoffPolicy
from ringbook.bus.worker import ConsumerSpec, PoisonEvent
from ringbook.clock import Clock
from ringbook.contracts.call_log import (
    LOGGED_CALL,
    CallAnalyzed,
    CallLogged,
    call_analysis_id,
    call_log_id,
)
from ringbook.contracts.calls import CONVERSATION, INBOUND_CALL, CallCompleted
from ringbook.contracts.streams import ANALYTICS, CALLS
from ringbook.events import Envelope, new_event
from ringbook.logging import get_logger

from analytics_service.application.analysis_ports import (
    AnalysisJob,
    AnalyzerFailed,
    CallAnalyzer,
    JobQueue,
    JobRecorder,
)
from analytics_service.domain.call_analysis import CallAnalysis, render_transcript

log = get_logger(__name__)

FINISHED_CALLS_CONSUMER = "analytics-analysis-calls"
LOGGED_CALLS_CONSUMER = "analytics-analysis-logged"
FINISHED_CALLS_SPEC = ConsumerSpec(
    durable=FINISHED_CALLS_CONSUMER,
    stream=CALLS,
    filter_subjects=[CALLS.subject_filter(aggregate=CONVERSATION, event_type="call_completed"),
                     CALLS.subject_filter(aggregate=INBOUND_CALL, event_type="call_completed")],
)
LOGGED_CALLS_SPEC = ConsumerSpec(
    durable=LOGGED_CALLS_CONSUMER,
    stream=ANALYTICS,
    filter_subjects=[ANALYTICS.subject_filter(aggregate=LOGGED_CALL, event_type="call_logged")],
)


def job_for(event: Envelope) -> AnalysisJob | None:
    """The analysis job a finished call asks for; None when there is nothing to analyse
    (no transcript: e.g. the carrier's own ``call_completed`` of an inbound call)."""
    data = event.data
    hints: tuple[str, ...]
    if isinstance(data, CallCompleted):
        transcript = render_transcript([(line.speaker, line.text) for line in data.transcript])
        direction = "inbound" if event.aggregate == INBOUND_CALL else "outbound"
        hints = (f"Outcome: {data.outcome}", f"Direction: {direction}",
                 f"Duration: {data.duration_seconds:.0f} s")
        call_id = call_log_id(data.call_sid)
    elif isinstance(data, CallLogged):
        if data.tenant_id != event.tenant_id:
            raise PoisonEvent(f"call_logged of tenant {data.tenant_id} in an envelope of "
                              f"tenant {event.tenant_id}")
        transcript = (data.transcript or "").strip()
        hints = (f"Duration: {data.duration_seconds:.0f} s", "Direction: logged by the "
                 "business's own agent", *([f"Agent's notes: {data.notes}"] if data.notes else []))
        call_id = event.aggregate_id
    else:
        return None
    if not transcript:
        return None
    return AnalysisJob(call_id=call_id, tenant_id=event.tenant_id, source_event_id=event.id,
                       correlation_id=event.correlation_id, transcript=transcript, hints=hints)


async def on_finished_call(jobs: JobRecorder, event: Envelope, clock: Clock) -> None:
    """Handler of both consumers: record the call's job, due at once."""
    job = job_for(event)
    if job is None:
        return
    if await jobs.record(job, clock.now()):
        log.info("call_analysis_queued", call_id=str(job.call_id), event_type=event.type)
    else:
        log.info("call_analysis_already_queued", call_id=str(job.call_id))


def analyzed_event(job: AnalysisJob, analysis: CallAnalysis, model: str,
                   clock: Clock) -> Envelope:
    return new_event(
        CallAnalyzed(tenant_id=job.tenant_id, call_id=job.call_id, summary=analysis.summary,
                     sentiment=analysis.sentiment, success=analysis.success,
                     extraction=dict(analysis.extraction), model=model),
        aggregate_id=call_analysis_id(job.call_id),
        version=1,  # one analysis per call: a second one conflicts in the event store
        tenant_id=job.tenant_id,
        correlation_id=job.correlation_id,
        causation_id=job.source_event_id,
        clock=clock,
    )


class AnalysisWorker:
    def __init__(self, *, queue: JobQueue, analyzer: CallAnalyzer, policy: BackoffPolicy,
                 clock: Clock, poll_seconds: float) -> None:
        self._queue, self._analyzer, self._policy = queue, analyzer, policy
        self._clock, self._poll = clock, poll_seconds

    async def run_once(self) -> bool:
        """Handle one due job; False when none is due."""
        async with self._queue.claim_due(self._clock.now()) as claimed:
            if claimed is None:
                return False
            job = claimed.job
            try:
                analysis = await self._analyzer.analyse(job.transcript, job.hints, job.fields)
            except AnalyzerFailed as exc:
                error = str(exc) or type(exc).__name__
            except Exception as exc:  # a bug in an adapter must not stop the lane
                log.exception("call_analyzer_crashed", call_id=str(job.call_id))
                error = repr(exc)
            else:
                event = analyzed_event(job, analysis, self._analyzer.model, self._clock)
                await claimed.complete(event)
                log.info("call_analyzed", call_id=str(job.call_id),
                         sentiment=analysis.sentiment, attempts=job.attempts + 1)
                return True
            attempts = job.attempts + 1
            retry_at = self._policy.after_failure(attempts, self._clock.now())
            if retry_at is None:
                await claimed.fail(error)
                log.error("call_analysis_failed", call_id=str(job.call_id),
                          attempts=attempts, error=error)
            else:
                await claimed.retry(retry_at, error)
                log.warning("call_analysis_retry", call_id=str(job.call_id),
                            attempts=attempts, retry_at=retry_at.isoformat(), error=error)
            return True

    async def run(self) -> None:
        """Work while jobs are due, then poll. A store outage is waited out here; the
        job it interrupted rolls back and is claimed again."""
        while True:
            try:
                busy = await self.run_once()
            except Exception:
                log.exception("call_analysis_lane_error")
                busy = False
            if not busy:
                await asyncio.sleep(self._poll)
