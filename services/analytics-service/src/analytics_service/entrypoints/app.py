"""analytics-service's app: the projections' durable consumers (request facts, the call
log), the read API, the call log's writes (API keys, logged calls), and post-call
analysis (its consumers, its analysis lanes and the outbox relay that publishes its
``call_analyzed`` events)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from ringbook.clock import Clock, SystemClock
from ringbook.contracts.streams import ANALYTICS, CALLS, CATALOG, REQUESTS
from ringbook.runtime import ServiceRuntime
from ringbook.web.app import create_service_app

import analytics_service
from analytics_service.adapters.call_log_store import PgCallLogStore
from analytics_service.application.analysis_ports import CallAnalyzer
from analytics_service.entrypoints import (
    api_keys_api,
    calls_api,
    daily_api,
    dashboard_api,
    dashboard_page,
)
from analytics_service.entrypoints.analysis_wiring import (
    closing_on_stop,
    openai_analyzer,
    wire_post_call_analysis,
)
from analytics_service.entrypoints.api import router
from analytics_service.entrypoints.consumers import (
    call_log_consumers,
    calls_consumer,
    requests_consumer,
)
from analytics_service.entrypoints.dependencies import Analytics
from analytics_service.settings import AnalyticsSettings


def migrations_dir() -> Path:
    return Path(analytics_service.__file__).resolve().parents[2] / "migrations"


def create_app(settings: AnalyticsSettings, clock: Clock | None = None,
               analyzer: CallAnalyzer | None = None) -> FastAPI:
    """``analyzer`` replaces the OpenAI SDK adapter (tests of failures it cannot play)."""
    clock = clock or SystemClock()
    runtime = ServiceRuntime(
        settings=settings,
        migrations_dir=migrations_dir(),
        streams=[REQUESTS, CALLS, CATALOG, ANALYTICS],
        # On: call_logged (POST /api/calls) and call_analyzed (post-call analysis) are
        # appended through the event store; the relay publishes them to ANALYTICS.
        relay=True,
        clock=clock,
    )
    runtime.add_consumer(*requests_consumer())
    runtime.add_consumer(*calls_consumer())
    for spec, handler in call_log_consumers(settings.prices):
        runtime.add_consumer(spec, handler)
    if analyzer is None:
        sdk_analyzer = openai_analyzer(settings)
        # Closed by a runtime job when the runtime cancels its tasks, together with the
        # lanes (an on_stop hook would close it under lanes still waiting on it).
        runtime.add_job("llm-client", closing_on_stop(sdk_analyzer))
        analyzer = sdk_analyzer
    wire_post_call_analysis(runtime, settings, analyzer, clock)

    async def on_start(app: FastAPI, rt: ServiceRuntime) -> None:
        app.state.analytics = Analytics(pool=rt.pool, clock=rt.clock,
                                        store=PgCallLogStore(rt.pool), prices=settings.prices)

    routers = [router, dashboard_api.router, daily_api.router, calls_api.router,
               api_keys_api.router, dashboard_page.router]
    return create_service_app(runtime, title="Ringbook analytics-service", routers=routers,
                              on_start=on_start)
