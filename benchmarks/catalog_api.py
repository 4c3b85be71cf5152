"""``make bench-catalog`` / ``python -m benchmarks.catalog_api``: every public endpoint of
seeds 001 and 002 that catalog-service serves, through the gateway, beside the gateway's
own ``/health`` measured in the same run (the floor: one loopback HTTP round trip to the
same process, with no proxying, no token and no database).

Each endpoint gets a closed loop of ``--concurrency`` clients (one keep-alive connection
each) for ``--requests`` requests, after ``--warmup`` requests. Writes first create what
later reads and deletes use (``benchmarks.catalog_plan``), so every request is a real one
and must answer 2xx: anything else is an error, printed and counted, and makes the run
exit 1. Latency is taken per request with ``time.perf_counter``; percentiles come from
:func:`benchmarks.report.percentile`. Lists hold what the run created by then (about
``--requests`` items). The system runs with ``durable=True`` (fsync on, as in production)
and ``TOOL_ALLOW_PRIVATE_ADDRESSES=true`` so the tools may point at 127.0.0.1 (the bench
never calls them). Argon2 login is left out: it is slow on purpose, and its cost is a
setting.

Progress goes to stderr, the table to stdout, the figures to .ringbook/bench/catalog.json.
Figures are printed, never asserted on: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any

import httpx

from benchmarks.catalog_plan import Endpoint, plan
from benchmarks.harness import REPO
from benchmarks.report import percentile, ratio
from benchmarks.session import system_session

OUTPUT = REPO / ".ringbook" / "bench" / "catalog.json"
SYSTEM_ENV = {"TOOL_ALLOW_PRIVATE_ADDRESSES": "true"}  # development only: see the docstring


async def run_endpoint(client: httpx.AsyncClient, endpoint: Endpoint, *, requests: int,
                       concurrency: int, warmup: int) -> None:
    async def one(i: int, record: bool) -> None:
        try:
            method, path, kwargs = endpoint.make(i)
        except (RuntimeError, LookupError) as exc:  # what it needed was never created
            endpoint.errors.append(str(exc))
            return
        started = perf_counter()
        try:
            response = await client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            endpoint.errors.append(f"{type(exc).__name__}: {exc}")
            return
        elapsed_ms = (perf_counter() - started) * 1000
        if not response.is_success:
            endpoint.errors.append(f"{response.status_code} {response.text[:200]}")
            return
        if record:
            endpoint.samples.append(elapsed_ms)
        if endpoint.keep:
            endpoint.results.append(response.json())

    # Warm-up indexes are far from the measured ones, so they create distinct resources.
    for i in range(0 if endpoint.consumes else warmup):
        await one(10_000_000 + i, record=False)
    counter = itertools.count()

    async def worker() -> None:
        while (i := next(counter)) < requests:
            await one(i, record=True)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def measure(gateway: str, *, requests: int, concurrency: int,
                  warmup: int) -> list[Endpoint]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=gateway, timeout=30, limits=limits) as client:
        registered = await client.post("/api/auth/register", json={
            "email": f"bench-{uuid.uuid4().hex[:12]}@example.com", "password": "password123",
            "name": "Bench"})
        registered.raise_for_status()
        endpoints = plan(registered.json()["token"])
        for endpoint in endpoints:
            print(f"» {endpoint.label}", file=sys.stderr, flush=True)
            await run_endpoint(client, endpoint, requests=requests, concurrency=concurrency,
                               warmup=warmup)
        return endpoints


def figures(endpoints: list[Endpoint]) -> list[dict[str, Any]]:
    floor_p50 = percentile(endpoints[0].samples, 50)
    floor_p99 = percentile(endpoints[0].samples, 99)
    rows = []
    for e in endpoints:
        p50, p99 = percentile(e.samples, 50), percentile(e.samples, 99)
        rows.append({"endpoint": e.label, "count": len(e.samples), "p50_ms": p50,
                     "p99_ms": p99, "p50_vs_health": ratio(p50, floor_p50),
                     "p99_vs_health": ratio(p99, floor_p99), "errors": len(e.errors)})
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    def cell(value: float | None, width: int, unit: str = "") -> str:
        return f"{'-':>{width}}" if value is None else f"{value:{width - len(unit)}.1f}{unit}"

    lines = [f"{'endpoint (through the gateway)':<46} {'n':>4} {'p50 ms':>7} {'p99 ms':>7} "
             f"{'p50/health':>10} {'p99/health':>10} {'errors':>6}"]
    for r in rows:
        lines.append(f"{r['endpoint']:<46} {r['count']:>4} {cell(r['p50_ms'], 7)} "
                     f"{cell(r['p99_ms'], 7)} {cell(r['p50_vs_health'], 10, 'x')} "
                     f"{cell(r['p99_vs_health'], 10, 'x')} {r['errors']:>6}")
    return "\n".join(lines)


def write_json(path: Path, config: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpus": os.cpu_count()},
        "config": config, "endpoints": rows}, indent=2) + "\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.catalog_api", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="per endpoint (default 200)")
    parser.add_argument("--concurrency", type=int, default=4,
                        help="closed-loop clients (default 4)")
    parser.add_argument("--warmup", type=int, default=5,
                        help="unmeasured requests before each endpoint's loop (default 5)")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1 or args.warmup < 0:
        parser.error("--requests and --concurrency must be positive, --warmup not negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with system_session("catalog", SYSTEM_ENV) as run:
        endpoints = asyncio.run(measure(run.system.gateway, requests=args.requests,
                                        concurrency=args.concurrency, warmup=args.warmup))
        rows = figures(endpoints)
        print(render(rows), flush=True)
        for e in endpoints:
            for error in sorted(set(e.errors))[:3]:
                print(f"  {e.label}: {error}", flush=True)
        write_json(OUTPUT, {"requests": args.requests, "concurrency": args.concurrency,
                            "warmup": args.warmup, "postgres": "embedded, fsync on (durable)"},
                   rows)
        print(f"figures written to {OUTPUT.relative_to(REPO)}", flush=True)
        run.keep_logs = any(e.errors for e in endpoints)
        return 1 if run.keep_logs else 0


if __name__ == "__main__":
    raise SystemExit(main())
