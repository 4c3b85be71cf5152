"""catalog-service's app. It declares no stream yet (CATALOG comes with the catalog's
first events) but runs the outbox relay, so the first event it appends is published."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from ringbook.clock import Clock, SystemClock
from ringbook.runtime import ServiceRuntime
from ringbook.web.app import create_service_app

import catalog_service
from catalog_service.adapters.business_hours_repository import PgBusinessHoursRepository
from catalog_service.entrypoints.dependencies import Catalog
from catalog_service.entrypoints.internal_api import router as internal_router
from catalog_service.settings import CatalogSettings


def migrations_dir() -> Path:
    return Path(catalog_service.__file__).resolve().parents[2] / "migrations"


def create_app(settings: CatalogSettings, clock: Clock | None = None) -> FastAPI:
    runtime = ServiceRuntime(
        settings=settings,
        migrations_dir=migrations_dir(),
        streams=[],
        relay=True,
        clock=clock or SystemClock(),
    )

    async def on_start(app: FastAPI, rt: ServiceRuntime) -> None:
        app.state.catalog = Catalog(hours=PgBusinessHoursRepository(rt.pool))

    return create_service_app(
        runtime, title="Ringbook catalog-service", routers=[internal_router], on_start=on_start
    )
