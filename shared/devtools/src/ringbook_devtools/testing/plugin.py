"""Pytest fixtures shared by every service's tests (loaded from the root conftest).

``infra`` starts (or finds) the servers once per run; ``fresh_schema`` gives each test
its own Postgres schema and ``fresh_streams`` wipes the ringbook streams first, so no
test sees another's rows or events.

Every test is also marked with its kind (see ``pytest_collection_modifyitems``), so
``pytest -m unit`` runs without starting a single server.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
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

E2E, INTEGRATION, UNIT = "e2e", "integration", "unit"
# Where the whole-system tests live, relative to the root of the run.
E2E_DIR = Path("tests") / "e2e"


def kind_of_test(path: Path, rootdir: Path, fixturenames: list[str]) -> str:
    """What a test needs, and so which marker it carries:

    * ``e2e``: it lives in ``tests/e2e`` (all five services as processes);
    * ``integration``: it uses the ``infra`` fixture, directly or through another
      fixture (``fixturenames`` is the closure of every fixture the test depends on),
      and so needs the real Postgres and nats-server;
    * ``unit``: anything else, which by construction starts no server.

    Derived, never written by hand: a test that gains a dependency on ``infra`` moves to
    ``integration`` by itself, so ``-m unit`` cannot start a server by mistake."""
    try:
        relative = path.resolve().relative_to(rootdir.resolve())
    except ValueError:
        relative = path
    if relative.parts[: len(E2E_DIR.parts)] == E2E_DIR.parts:
        return E2E
    if "infra" in fixturenames:
        return INTEGRATION
    return UNIT


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rootdir = Path(str(config.rootpath))
    for item in items:
        names = list(getattr(item, "fixturenames", ()))
        item.add_marker(kind_of_test(Path(str(item.path)), rootdir, names))


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


