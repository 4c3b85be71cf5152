"""The custom queries CNPG's exporter runs for our alerts
(deploy/k8s/base/database/monitoring-queries.yaml) against the real tables, as the real
roles: in a database of its own, the bootstrap SQL (monitoring-grants.yaml) run as
superuser, each service schema migrated by a non-superuser owner (as `ringbook` does),
then the queries, their schema names pointed at those schemas, run by a member of
pg_monitor (as CNPG's exporter is) and return the rows the gauges promise."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import yaml  # type: ignore[import-untyped]
from ringbook.store.migrations import migrate
from ringbook_devtools.testing.infra import ServerSet

from tests.deploy.platform_manifests import K8S

SERVICE_SCHEMAS = ("request_service", "call_orchestrator", "media_bridge", "catalog_service",
                   "analytics_service")


def _queries() -> dict[str, Any]:
    config = yaml.safe_load((K8S / "base/database/monitoring-queries.yaml").read_text())
    queries: dict[str, Any] = yaml.safe_load(config["data"]["queries"])
    return queries


def _grants_sql() -> str:
    config = yaml.safe_load((K8S / "base/database/monitoring-grants.yaml").read_text())
    sql: str = config["data"]["grants.sql"]
    return sql


@dataclass(frozen=True)
class Database:
    owner_url: str  # the services' role: owns the schemas, not a superuser
    monitor_url: str  # the exporter's: a member of pg_monitor, nothing else
    schemas: dict[str, str]  # each service schema's stand-in


@pytest.fixture
async def database(infra: ServerSet) -> AsyncIterator[Database]:
    suffix = uuid.uuid4().hex[:10]
    name, owner, monitor = f"t_db_{suffix}", f"t_owner_{suffix}", f"t_monitor_{suffix}"
    admin = await asyncpg.connect(infra.database_url)
    try:
        await admin.execute(f"create role {owner} login")
        await admin.execute(f"create role {monitor} login in role pg_monitor")
        await admin.execute(f"create database {name} owner {owner}")
        url = urlsplit(infra.database_url)

        def as_role(role: str) -> str:
            return urlunsplit(url._replace(netloc=f"{role}@{url.hostname}:{url.port}",
                                           path=f"/{name}"))

        bootstrap = await asyncpg.connect(urlunsplit(url._replace(path=f"/{name}")))
        try:
            await bootstrap.execute(_grants_sql())
        finally:
            await bootstrap.close()
        fresh = {service: f"t_{uuid.uuid4().hex[:10]}" for service in SERVICE_SCHEMAS}
        for schema in fresh.values():
            await migrate(as_role(owner), schema, None)
        yield Database(as_role(owner), as_role(monitor), fresh)
    finally:
        await admin.execute(f"drop database if exists {name} with (force)")
        await admin.execute(f"drop role if exists {owner}")
        await admin.execute(f"drop role if exists {monitor}")
        await admin.close()


def _pointed(sql: str, fresh: dict[str, str]) -> str:
    for name, schema in fresh.items():
        assert f"FROM {name}." in sql, f"the query reads no table of {name}"
        sql = sql.replace(f"FROM {name}.", f"FROM {schema}.")
    return sql


async def _outbox_row(conn: asyncpg.Connection, schema: str, *, age_seconds: int,
                      published: bool) -> None:
    event_id = uuid.uuid4()
    await conn.execute(
        f"insert into {schema}.events (id, aggregate, aggregate_id, version, type, tenant_id,"
        " occurred_at, correlation_id, data) values ($1, 'request', $2, 1, 'x', $3, now(),"
        " $4, '{}')", event_id, uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    await conn.execute(
        f"insert into {schema}.outbox (event_id, subject, payload, created_at, published_at)"
        " values ($1, 's', 'p', now() - make_interval(secs => $2),"
        " case when $3 then now() end)", event_id, age_seconds, published)


async def _dead_letter(conn: asyncpg.Connection, schema: str, seq: int, status: str) -> None:
    await conn.execute(
        f"insert into {schema}.dead_letters (consumer, stream, stream_seq, subject, payload,"
        " reason, status) values ('c', 'S', $1, 's', 'p', 'r', $2)", seq, status)


async def _monitor_fetch(database: Database, query: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database.monitor_url)
    try:
        rows: list[asyncpg.Record] = await conn.fetch(
            _pointed(_queries()[query]["query"], database.schemas))
        return rows
    finally:
        await conn.close()


async def test_the_outbox_gauges_measure_what_the_relay_has_not_published(
    database: Database,
) -> None:
    schemas = database.schemas
    conn = await asyncpg.connect(database.owner_url)
    try:
        await _outbox_row(conn, schemas["catalog_service"], age_seconds=300, published=False)
        await _outbox_row(conn, schemas["catalog_service"], age_seconds=30, published=False)
        await _outbox_row(conn, schemas["request_service"], age_seconds=900, published=True)
    finally:
        await conn.close()
    by_schema = {r["schema"]: r for r in await _monitor_fetch(database, "ringbook_outbox")}
    assert set(by_schema) == set(SERVICE_SCHEMAS)
    assert by_schema["catalog_service"]["unpublished"] == 2
    assert 299 <= float(by_schema["catalog_service"]["oldest_unpublished_seconds"]) < 900
    # Published rows count for nothing, however old.
    assert by_schema["request_service"]["unpublished"] == 0
    assert float(by_schema["request_service"]["oldest_unpublished_seconds"]) == 0


async def test_the_dead_letter_gauge_counts_letters_not_replayed(database: Database) -> None:
    schemas = database.schemas
    conn = await asyncpg.connect(database.owner_url)
    try:
        await _dead_letter(conn, schemas["media_bridge"], 1, "dead")
        await _dead_letter(conn, schemas["media_bridge"], 2, "replay")
        await _dead_letter(conn, schemas["media_bridge"], 3, "replayed")
        await _dead_letter(conn, schemas["analytics_service"], 1, "replayed")
    finally:
        await conn.close()
    rows = await _monitor_fetch(database, "ringbook_dead_letters")
    unresolved = {r["schema"]: r["unresolved"] for r in rows}
    assert unresolved == {"request_service": 0, "call_orchestrator": 0, "media_bridge": 2,
                          "catalog_service": 0, "analytics_service": 0}


async def test_monitoring_reads_no_other_table(database: Database) -> None:
    conn = await asyncpg.connect(database.monitor_url)
    try:
        for schema in database.schemas.values():
            for table in ("events", "inbox", "schema_migrations"):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.fetch(f"select 1 from {schema}.{table} limit 1")
    finally:
        await conn.close()


def test_every_query_column_is_a_declared_metric_or_label() -> None:
    for name, spec in _queries().items():
        assert spec["target_databases"] == ["ringbook"], name
        declared = [column for metric in spec["metrics"] for column in metric]
        assert declared[0] == "schema"
        for column in declared:
            assert f" AS {column}" in spec["query"], f"{name}: {column} not selected"
