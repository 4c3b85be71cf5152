"""catalog-service test fixtures: the real app in-process against real Postgres and NATS
(a fresh schema and fresh streams per test, files in the test's tmp_path), its outside
edges replaced by stand-ins that speak their contracts (DNS)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from catalog_service.application.blob_store import BlobStore
from catalog_service.entrypoints.app import Edges, create_app
from catalog_service.settings import CatalogSettings
from catalog_service.testing.api import CatalogApi
from catalog_service.testing.edges import FakeDns
from fastapi import FastAPI
from ringbook.clock import FakeClock
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.plugin import settings_for
from ringbook_simulators.responses.api import LlmState
from ringbook_simulators.responses.testing import running_llm


@pytest.fixture
def clock() -> FakeClock:
    # In the past: tokens are minted and checked on this clock.
    return FakeClock(datetime(2026, 1, 15, 9, 0, tzinfo=UTC))


@pytest.fixture
def dns() -> FakeDns:
    return FakeDns()


@pytest.fixture
def settings(infra: ServerSet, fresh_schema: str, tmp_path: Path) -> CatalogSettings:
    return settings_for(infra, CatalogSettings, service="catalog-service", schema=fresh_schema,
                        file_max_bytes=64 * 1024, file_store_dir=tmp_path / "files",
                        # Leads are analysed only where a test runs the SIMULATED LLM
                        # (test_lead_analysis.py): nothing else may depend on a model.
                        lead_analysis_enabled=False)


@pytest.fixture
def llm() -> LlmState:
    """What the SIMULATED LLM of ``llm_url`` received, and the failures to inject."""
    return LlmState()


@pytest.fixture
async def llm_url(llm: LlmState) -> AsyncIterator[str]:
    """The SIMULATED LLM on a real socket (only for the tests that ask for it)."""
    async with running_llm(llm) as url:
        yield url


@pytest.fixture
def edges(dns: FakeDns) -> Edges:
    # Without the extraction worker, uploads stay "uploading": most tests are about the
    # API (test_api_files runs one with it).
    return Edges(resolve=dns, extraction=False)


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


@pytest.fixture
def blobs(app: FastAPI) -> BlobStore:
    """The app's blob store (the filesystem one, under the test's tmp_path)."""
    store: BlobStore = app.state.catalog.blobs
    return store
