"""catalog-service test fixtures: the real app in-process against real Postgres and NATS
(a fresh schema and fresh streams per test), its outside edges replaced by stand-ins
that speak their contracts (DNS, the blob store)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from catalog_service.entrypoints.app import Edges, create_app
from catalog_service.settings import CatalogSettings
from catalog_service.testing.api import CatalogApi
from catalog_service.testing.edges import FakeDns, MemoryBlobs
from fastapi import FastAPI
from ringbook.clock import FakeClock
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.plugin import settings_for


def classify_by_extension(filename: str, content_type: str | None, head: bytes) -> str:
    kind = filename.rsplit(".", 1)[-1].lower()
    if kind not in {"pdf", "docx", "txt", "md", "csv", "html"}:
        raise ValueError(f"{filename!r}: not a pdf, docx, txt, md, csv or html file")
    return kind


@pytest.fixture
def clock() -> FakeClock:
    # In the past: tokens are minted and checked on this clock.
    return FakeClock(datetime(2026, 1, 15, 9, 0, tzinfo=UTC))


@pytest.fixture
def dns() -> FakeDns:
    return FakeDns()


@pytest.fixture
def blobs() -> MemoryBlobs:
    return MemoryBlobs()


@pytest.fixture
def settings(infra: ServerSet, fresh_schema: str) -> CatalogSettings:
    return settings_for(infra, CatalogSettings, service="catalog-service", schema=fresh_schema,
                        file_max_bytes=64 * 1024)


@pytest.fixture
def edges(dns: FakeDns, blobs: MemoryBlobs) -> Edges:
    return Edges(resolve=dns, blobs=blobs, classify=classify_by_extension, extraction=False)


@pytest.fixture
async def app(settings: CatalogSettings, clock: FakeClock, edges: Edges, fresh_streams: None
              ) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock, edges)
    async with application.router.lifespan_context(application):
        await application.state.runtime.wait_bus_ready(10)
        yield application


@pytest.fixture
async def catalog(app: FastAPI) -> AsyncIterator[CatalogApi]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield CatalogApi(client, app)
