"""analytics-service's app: the projections' durable consumers (request facts, the call
log), the read API, and the call log's writes (API keys, logged calls)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from ringbook.clock import Clock, SystemClock
from ringbook.contracts.streams import ANALYTICS, CALLS, CATALOG, REQUESTS
from ringbook.runtime import ServiceRuntime
from ringbook.web.app import create_service_app

import analytics_service
from analytics_service.adapters.call_log_store import PgCallLogStore
from analytics_service.entrypoints import api_keys_api, calls_api, dashboard_api
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


def create_app(settings: AnalyticsSettings, clock: Clock | None = None) -> FastAPI:
    runtime = ServiceRuntime(
        settings=settings,
        migrations_dir=migrations_dir(),
        streams=[REQUESTS, CALLS, CATALOG, ANALYTICS],
        # call_logged events (POST /api/calls) go through the outbox, which the relay
        # publishes to ANALYTICS.
        relay=True,
        clock=clock or SystemClock(),
    )
    runtime.add_consumer(*requests_consumer())
    runtime.add_consumer(*calls_consumer())
    for spec, handler in call_log_consumers():
        runtime.add_consumer(spec, handler)

    async def on_start(app: FastAPI, rt: ServiceRuntime) -> None:
        app.state.analytics = Analytics(pool=rt.pool, clock=rt.clock,
                                        store=PgCallLogStore(rt.pool))

    routers = [router, dashboard_api.router, calls_api.router, api_keys_api.router]
    return create_service_app(runtime, title="Ringbook analytics-service", routers=routers,
                              on_start=on_start)
