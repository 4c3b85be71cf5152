"""analytics-service's app: the projection's two durable consumers and the read API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from ringbook.clock import Clock, SystemClock
from ringbook.contracts.streams import CALLS, REQUESTS
from ringbook.runtime import ServiceRuntime
from ringbook.web.app import create_service_app

import analytics_service
from analytics_service.entrypoints.api import router
from analytics_service.entrypoints.consumers import calls_consumer, requests_consumer
from analytics_service.entrypoints.dashboard_page import router as dashboard_router
from analytics_service.entrypoints.dependencies import Analytics
from analytics_service.settings import AnalyticsSettings


def migrations_dir() -> Path:
    return Path(analytics_service.__file__).resolve().parents[2] / "migrations"


def create_app(settings: AnalyticsSettings, clock: Clock | None = None) -> FastAPI:
    runtime = ServiceRuntime(
        settings=settings,
        migrations_dir=migrations_dir(),
        streams=[REQUESTS, CALLS],
        # A pure projection publishes nothing, so it needs no outbox relay.
        relay=False,
        clock=clock or SystemClock(),
    )
    runtime.add_consumer(*requests_consumer())
    runtime.add_consumer(*calls_consumer())

    async def on_start(app: FastAPI, rt: ServiceRuntime) -> None:
        app.state.analytics = Analytics(pool=rt.pool, clock=rt.clock)

    return create_service_app(runtime, title="Ringbook analytics-service",
                              routers=[router, dashboard_router], on_start=on_start)
