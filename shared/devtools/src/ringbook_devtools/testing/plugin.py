"""Pytest fixtures shared by every service's tests (loaded from the root conftest).

``infra`` starts (or finds) the servers once per run; ``fresh_schema`` gives each test
its own Postgres schema and ``fresh_streams`` wipes the ringbook streams first, so no
test sees another's rows or events.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

import asyncpg
import nats
import pytest
from nats.js.errors import NotFoundError
from ringbook.contracts.streams import ALL_STREAMS
from ringbook.settings import Environment, ServiceSettings

from ringbook_devtools.testing.infra import ServerSet, start_test_infra


def pytest_configure(config: pytest.Config) -> None:
    # The suite runs as `make run` does, with the public development secrets; a test of
    # another environment sets its own variables (monkeypatch) or passes them.
    os.environ["ENVIRONMENT"] = "development"


@pytest.fixture(scope="session")
def infra() -> Iterator[ServerSet]:
    servers = start_test_infra()
    try:
        yield servers
    finally:
        servers.close()


@pytest.fixture
async def fresh_schema(infra: ServerSet) -> AsyncIterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    conn = await asyncpg.connect(infra.database_url)
    try:
        await conn.execute(f"drop schema if exists {name} cascade")
    finally:
        await conn.close()


@pytest.fixture
async def fresh_streams(infra: ServerSet) -> AsyncIterator[None]:
    nc = await nats.connect(infra.nats_url)
    js = nc.jetstream()
    for spec in ALL_STREAMS:
        with contextlib.suppress(NotFoundError):
            await js.delete_stream(spec.name)
    await nc.close()
    yield


S = TypeVar("S", bound=ServiceSettings)


def settings_for(
    infra: ServerSet, cls: type[S], *, service: str, schema: str, **overrides: object
) -> S:
    values: dict[str, object] = {
        "service_name": service,
        "environment": Environment.DEVELOPMENT,
        "database_url": infra.database_url,
        "db_schema": schema,
        "nats_url": infra.nats_url,
        "nats_monitor_url": infra.nats_monitor_url,
        "log_json": False,
        "db_pool_min": 1,
        "db_pool_max": 5,
    }
    values.update(overrides)
    return cls(**values)  # type: ignore[arg-type]


