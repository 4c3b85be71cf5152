"""Forward-only SQL migrations, one schema per service, under an advisory lock.

Files are applied in name order (``0001_x.sql``, ``0002_y.sql``): first the platform
files every schema carries, then the service's own. Each runs in its own transaction
with a row in ``schema_migrations``; a file already applied whose text has changed is an
error (history is never edited, only extended). The advisory lock makes concurrent
replicas starting together apply each file exactly once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from ringbook.logging import get_logger
from ringbook.store.database import checked_schema

PLATFORM_MIGRATIONS = Path(__file__).parent / "platform_migrations"
log = get_logger(__name__)


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(*directories: Path) -> list[Migration]:
    found: list[Migration] = []
    for directory in directories:
        prefix = "platform" if directory == PLATFORM_MIGRATIONS else "service"
        for path in sorted(directory.glob("*.sql")):
            found.append(Migration(f"{prefix}/{path.name}", path.read_text()))
    return found


async def migrate(dsn: str, schema: str, service_dir: Path | None) -> list[str]:
    """Apply pending migrations; returns the names applied now."""
    schema = checked_schema(schema)
    dirs = [PLATFORM_MIGRATIONS] + ([service_dir] if service_dir else [])
    migrations = load_migrations(*dirs)
    conn = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    applied_now: list[str] = []
    try:
        # Lock key: a hash of the schema name, so different services migrate in parallel.
        await conn.execute("select pg_advisory_lock(hashtext($1))", f"migrate:{schema}")
        try:
            await conn.execute(f"create schema if not exists {schema}")
            await conn.execute(
                "create table if not exists schema_migrations ("
                " name text primary key, checksum text not null,"
                " applied_at timestamptz not null default now())"
            )
            done = {
                r["name"]: r["checksum"]
                for r in await conn.fetch("select name, checksum from schema_migrations")
            }
            for m in migrations:
                if m.name in done:
                    if done[m.name] != m.checksum:
                        raise MigrationError(f"{schema}: applied migration {m.name} was edited")
                    continue
                async with conn.transaction():
                    await conn.execute(m.sql)
                    await conn.execute(
                        "insert into schema_migrations (name, checksum) values ($1, $2)",
                        m.name,
                        m.checksum,
                    )
                applied_now.append(m.name)
                log.info("migration_applied", schema=schema, migration=m.name)
        finally:
            await conn.execute("select pg_advisory_unlock(hashtext($1))", f"migrate:{schema}")
    finally:
        await conn.close()
    return applied_now
