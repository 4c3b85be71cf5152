"""Apply one service's migrations and exit: the Kubernetes migration Job and initContainer.

    python -m ringbook.store.migrate_cli --dir /app/services/<service>/migrations
        [--database-url URL] [--schema S]

The database and schema are the service's own, read as the service reads them:
``DATABASE_URL``, ``DB_SCHEMA`` (or ``SERVICE_NAME``, whose schema is its name with
underscores); the options override them. The platform migrations every schema carries
are applied first, then the files of ``--dir`` (``ringbook.store.migrations.migrate``).

It is safe to run many at once and again: ``migrate`` holds an advisory lock per schema
and records each file, so a second run applies nothing. Exit status 0 once every file is
applied (one line per file applied now, or "nothing to apply"), 1 with a one-line reason
on stderr when the database cannot be reached or a migration fails (nothing of the
failing file is kept: each file runs in its own transaction), 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import asyncpg

from ringbook.logging import configure_logging
from ringbook.store.database import checked_schema
from ringbook.store.migrations import MigrationError, migrate


def _schema_from_env() -> str | None:
    if os.environ.get("DB_SCHEMA"):
        return os.environ["DB_SCHEMA"]
    service = os.environ.get("SERVICE_NAME")
    return service.replace("-", "_") if service else None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ringbook.store.migrate_cli",
                                     description="Apply a service's pending migrations.")
    parser.add_argument("--dir", type=Path, required=True,
                        help="the service's migrations directory (services/<name>/migrations)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--schema", default=_schema_from_env())
    return parser


def _arguments(argv: Sequence[str] | None) -> tuple[str, str, Path]:
    """The database URL, schema and directory; a usage error (exit 2) if one is wrong."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("the database URL is required (DATABASE_URL or --database-url)")
    if not args.schema:
        parser.error("the schema is required (DB_SCHEMA, SERVICE_NAME or --schema)")
    try:
        schema = checked_schema(args.schema)
    except ValueError as exc:
        parser.error(str(exc))
    directory: Path = args.dir
    if not directory.is_dir():
        parser.error(f"{directory} is not a directory")
    return args.database_url, schema, directory


async def amain(argv: Sequence[str] | None = None) -> int:
    database_url, schema, directory = _arguments(argv)
    try:
        applied = await migrate(database_url, schema, directory)
    except MigrationError as exc:
        return _failed(f"{exc}")
    except asyncpg.PostgresError as exc:
        return _failed(f"{schema}: {type(exc).__name__}: {exc}")
    # asyncpg's own connect timeout (60 s) bounds an unreachable server; Kubernetes
    # retries a failed Job or initContainer, so failing with the reason is enough.
    except (OSError, TimeoutError, ValueError, asyncpg.InterfaceError) as exc:
        return _failed(f"{schema}: cannot reach the database: {type(exc).__name__}: {exc}")
    for name in applied:
        print(f"{schema}: applied {name}")
    if not applied:
        print(f"{schema}: nothing to apply")
    return 0


def _failed(reason: str) -> int:
    print(f"migration failed: {reason}", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> None:
    # Warnings only: stdout is the list of files applied, one per line.
    configure_logging(service="migrate", level="WARNING", json=True)
    sys.exit(asyncio.run(amain(argv)))


if __name__ == "__main__":
    main()
