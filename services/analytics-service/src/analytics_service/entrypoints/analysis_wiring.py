"""Wiring of post-call analysis: its two durable consumers (recording jobs in the pull
worker's transaction) and its analysis lanes (runtime jobs: supervised, named, cancelled
on stop; they need only Postgres, so they run while NATS is down, and the outbox relay
publishes their events once it is back)."""

from __future__ import annotations

import asyncio

from ringbook.bus.worker import Handler
from ringbook.clock import Clock
from ringbook.events import Envelope
from ringbook.runtime import BackgroundJob, ServiceRuntime
from ringbook.store.database import Conn

from analytics_service.adapters.openai_call_analyzer import OpenAICallAnalyzer
from analytics_service.adapters.pg_analysis_jobs import PgJobQueue, PgJobRecorder
from analytics_service.application.analysis_ports import CallAnalyzer
from analytics_service.application.post_call_analysis import (
    FINISHED_CALLS_SPEC,
    LOGGED_CALLS_SPEC,
    AnalysisWorker,
    on_finished_call,
)
from analytics_service.settings import AnalyticsSettings


def openai_analyzer(settings: AnalyticsSettings) -> OpenAICallAnalyzer:
    return OpenAICallAnalyzer(api_key=settings.openai_api_key.get_secret_value(),
                              model=settings.openai_model,
                              base_url=settings.openai_base_url or None,
                              timeout_seconds=settings.openai_timeout_seconds)


def closing_on_stop(analyzer: OpenAICallAnalyzer) -> BackgroundJob:
    async def hold(_: ServiceRuntime) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await analyzer.close()
    return hold


def wire_post_call_analysis(runtime: ServiceRuntime, settings: AnalyticsSettings,
                            analyzer: CallAnalyzer, clock: Clock) -> None:
    async def record(conn: Conn, event: Envelope) -> None:
        await on_finished_call(PgJobRecorder(conn), event, clock)

    handler: Handler = record
    runtime.add_consumer(FINISHED_CALLS_SPEC, handler)
    runtime.add_consumer(LOGGED_CALLS_SPEC, handler)
    if not settings.analysis_enabled:
        return

    def lane() -> BackgroundJob:
        async def run(rt: ServiceRuntime) -> None:
            await AnalysisWorker(queue=PgJobQueue(rt.pool), analyzer=analyzer,
                                 policy=settings.analysis_retry_policy(), clock=clock,
                                 poll_seconds=settings.analysis_poll_seconds).run()
        return run

    for i in range(settings.analysis_lanes):
        runtime.add_job(f"call-analysis-{i}", lane())
