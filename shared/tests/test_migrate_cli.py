"""python -m ringbook.store.migrate_cli, run as the Kubernetes Job runs it: a process with
DATABASE_URL and DB_SCHEMA in its environment, against the real Postgres."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
from ringbook_devtools.testing.infra import ServerSet


async def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env}
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "ringbook.store.migrate_cli", *args],
        env=full_env, capture_output=True, text=True, timeout=90, check=False)


def service_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "migrations"
    directory.mkdir()
    (directory / "0001_things.sql").write_text("create table things (id int primary key);")
    (directory / "0002_more.sql").write_text("insert into things values (1), (2);")
    return directory


async def test_applies_a_directory_once_and_the_second_run_applies_nothing(
    infra: ServerSet, fresh_schema: str, tmp_path: Path,
) -> None:
    directory = service_dir(tmp_path)
    env = {"DATABASE_URL": infra.database_url, "DB_SCHEMA": fresh_schema}

    first = await run_cli(env, "--dir", str(directory))
    assert first.returncode == 0, first.stderr
    assert f"{fresh_schema}: applied service/0001_things.sql" in first.stdout
    assert f"{fresh_schema}: applied service/0002_more.sql" in first.stdout

    second = await run_cli(env, "--dir", str(directory))
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == f"{fresh_schema}: nothing to apply"

    conn = await asyncpg.connect(infra.database_url)
    try:
        assert await conn.fetchval(f"select count(*) from {fresh_schema}.things") == 2
        names = [r["name"] for r in await conn.fetch(
            f"select name from {fresh_schema}.schema_migrations where name like 'service/%'"
            " order by name")]
    finally:
        await conn.close()
    assert names == ["service/0001_things.sql", "service/0002_more.sql"]


async def test_a_failing_migration_exits_non_zero_naming_it_and_keeps_nothing_of_it(
    infra: ServerSet, fresh_schema: str, tmp_path: Path,
) -> None:
    directory = service_dir(tmp_path)
    (directory / "0003_broken.sql").write_text("create table things (id int);")  # exists
    env = {"DATABASE_URL": infra.database_url, "DB_SCHEMA": fresh_schema}

    failed = await run_cli(env, "--dir", str(directory))
    assert failed.returncode == 1
    assert "migration failed" in failed.stderr and "already exists" in failed.stderr
    conn = await asyncpg.connect(infra.database_url)
    try:
        assert await conn.fetchval(
            f"select count(*) from {fresh_schema}.schema_migrations"
            " where name = 'service/0003_broken.sql'") == 0
    finally:
        await conn.close()


async def test_an_edited_migration_is_refused(
    infra: ServerSet, fresh_schema: str, tmp_path: Path,
) -> None:
    directory = service_dir(tmp_path)
    env = {"DATABASE_URL": infra.database_url, "DB_SCHEMA": fresh_schema}
    assert (await run_cli(env, "--dir", str(directory))).returncode == 0
    (directory / "0001_things.sql").write_text("create table things (id bigint primary key);")

    refused = await run_cli(env, "--dir", str(directory))
    assert refused.returncode == 1
    assert "0001_things.sql was edited" in refused.stderr


async def test_an_unreachable_database_exits_non_zero_with_the_reason(tmp_path: Path) -> None:
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    env = {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/ringbook", "DB_SCHEMA": "x"}
    failed = await run_cli(env, "--dir", str(service_dir(tmp_path)))
    assert failed.returncode == 1
    assert "cannot reach the database" in failed.stderr


async def test_missing_arguments_are_usage_errors(tmp_path: Path) -> None:
    no_url = await run_cli({"DATABASE_URL": "", "DB_SCHEMA": "x"},
                           "--dir", str(service_dir(tmp_path)))
    assert no_url.returncode == 2 and "database URL is required" in no_url.stderr
    bad_schema = await run_cli({"DATABASE_URL": "postgresql://h/db", "DB_SCHEMA": "x; drop"},
                               "--dir", str(tmp_path))
    assert bad_schema.returncode == 2 and "invalid schema name" in bad_schema.stderr
    no_dir = await run_cli({"DATABASE_URL": "postgresql://h/db", "DB_SCHEMA": "x"},
                           "--dir", str(tmp_path / "absent"))
    assert no_dir.returncode == 2 and "is not a directory" in no_dir.stderr
