"""Rebuild every projection of one service by replay, while it runs (G10).

    python -m ringbook.store.rebuild_cli MODULE:FUNCTION [--database-url URL]
        [--schema S] [--nats-url URL] [--json]

``MODULE:FUNCTION`` names the service's declaration of its projections, a function
returning a list of ``ringbook.store.rebuild.Projection`` (for analytics-service:
``analytics_service.entrypoints.projections:projections``; the service's own
``python -m analytics_service.entrypoints.rebuild`` fills it in). The database, schema
and NATS servers are the service's own, read as it reads them: ``DATABASE_URL``,
``DB_SCHEMA`` (or ``SERVICE_NAME``, whose schema is its name with underscores) and
``NATS_URL`` (comma-separated); the options override them.

Prints what was applied per consumer and how long the live workers were held (the last
line on stdout; log lines, warnings only, come before it); exit
status 1 if the rebuild could not run (another one is running, a declared table does
not exist, a materialized view depends on a table), and then nothing was swapped.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict

import nats
import orjson

from ringbook.logging import configure_logging
from ringbook.store.rebuild import Projection, RebuildError, RebuildReport, rebuild

ProjectionsFactory = Callable[[], Sequence[Projection]]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ringbook.store.rebuild_cli",
                                     description="Rebuild a service's projections by replay.")
    parser.add_argument("projections", nargs="?", default=None,
                        help="MODULE:FUNCTION returning the service's projections")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--schema", default=_schema_from_env())
    parser.add_argument("--nats-url", default=os.environ.get("NATS_URL"))
    parser.add_argument("--json", action="store_true", help="the report as one JSON object")
    return parser


def _schema_from_env() -> str | None:
    if os.environ.get("DB_SCHEMA"):
        return os.environ["DB_SCHEMA"]
    service = os.environ.get("SERVICE_NAME")
    return service.replace("-", "_") if service else None


def load_projections(target: str) -> ProjectionsFactory:
    module_name, _, function = target.partition(":")
    if not module_name or not function:
        raise ValueError(f"{target!r} is not MODULE:FUNCTION")
    factory = getattr(importlib.import_module(module_name), function, None)
    if not callable(factory):
        raise ValueError(f"{module_name} has no function {function}")
    return factory  # type: ignore[no-any-return]


async def amain(argv: Sequence[str] | None = None,
                factory: ProjectionsFactory | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if factory is None:
        if not args.projections:
            parser.error("MODULE:FUNCTION is required")
        try:
            factory = load_projections(args.projections)
        except (ValueError, ImportError) as exc:
            parser.error(str(exc))
    if not args.database_url or not args.schema or not args.nats_url:
        parser.error("the database URL, the schema and the NATS URL are all required")
    servers = [s.strip() for s in args.nats_url.split(",") if s.strip()]
    nc = await nats.connect(servers, name=f"rebuild-{args.schema}", connect_timeout=5)
    try:
        report = await rebuild(dsn=args.database_url, schema=args.schema,
                               js=nc.jetstream(), projections=list(factory()))
    except RebuildError as exc:
        print(f"rebuild refused: {exc}", file=sys.stderr)
        return 1
    finally:
        await nc.close()
    _print(report, as_json=args.json)
    return 0


def _print(report: RebuildReport, *, as_json: bool) -> None:
    if as_json:
        body = {**asdict(report), "events_per_second": report.events_per_second}
        print(orjson.dumps(body).decode())
        return
    for consumer, applied in report.applied.items():
        print(f"{consumer}: {applied} applied, {report.dead_lettered[consumer]} dead-lettered,"
              f" {report.left_to_live[consumer]} left to the live worker")
    print(f"{sum(report.applied.values())} events in {report.seconds:.2f} s"
          f" ({report.events_per_second:.0f}/s), {report.rounds} rounds;"
          f" live workers held {report.held_seconds * 1000:.0f} ms")


def main(argv: Sequence[str] | None = None, factory: ProjectionsFactory | None = None) -> None:
    # Warnings only (a dead letter written by the replay), as JSON lines: the report is
    # always the last line on stdout.
    configure_logging(service="rebuild", level="WARNING", json=True)
    sys.exit(asyncio.run(amain(argv, factory)))


if __name__ == "__main__":
    main()
