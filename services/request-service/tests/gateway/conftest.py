"""The gateway behind a real uvicorn on 127.0.0.1, and a stand-in upstream
(:mod:`request_service.testing_upstream`) it forwards to.

The gateway is the whole request-service app (its lifespan against the real Postgres
and NATS of ``infra``), so the proxy is tested exactly as it is wired.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from request_service.entrypoints.app import create_app
from request_service.settings import RequestServiceSettings
from request_service.testing import FAST_HASHING
from request_service.testing_upstream import StartGateway, Upstream, serving, stand_in_app
from ringbook.clock import FakeClock
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.plugin import settings_for


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    stand_in = Upstream()
    async with serving(stand_in_app(stand_in)) as url:
        stand_in.url = url
        yield stand_in


@pytest.fixture
async def start_gateway(
    infra: ServerSet, fresh_schema: str, fresh_streams: None, clock: FakeClock,
) -> AsyncIterator[StartGateway]:
    """``await start_gateway(catalog_service_url=..., **settings)``: the gateway's URL.
    (``clock`` is the FakeClock of the tests' conftest, also the proxy's circuits'.)"""
    async with AsyncExitStack() as stack:

        async def start(**overrides: Any) -> str:
            settings = settings_for(
                infra, RequestServiceSettings, service="request-service",
                schema=fresh_schema, **{**FAST_HASHING, **overrides})
            app = create_app(settings, clock)
            await stack.enter_async_context(app.router.lifespan_context(app))
            return await stack.enter_async_context(serving(app))

        yield start
