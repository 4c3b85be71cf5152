"""``make bench-bookings`` / ``python -m benchmarks.bookings``: bookings per second through
``POST /api/function-handler`` (via the gateway), against one hot slot and spread over
many slots, beside two baselines measured in the same run: the gateway's ``/health``
(one loopback round trip, no database) and ``check_slot_availability`` (the same
function handler path with a read instead of the booking's write).

Each row is a closed loop of ``--concurrency`` clients (one keep-alive connection each)
sending ``--requests`` calls after ``--warmup`` unmeasured ones. Every booking has its
own ``Idempotency-Key``, so each is a real booking: the hot slot holds 10,000 places
(more than the run books), and the spread bookings go round-robin over four slots a day
for 60 days. The function handler's rate limit (30/minute per business, seed 004's) is
turned off for the run, or the bench would measure the limit. Every answer must be a
2xx with ``success`` (or ``available``) true; anything else is an error, printed and
counted, and makes the run exit 1. Postgres is the embedded one with fsync on.

Progress goes to stderr, the table to stdout, the figures to
.ringbook/bench/bookings.json. Figures are printed, never asserted on.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from time import perf_counter
from typing import Any

import httpx

from benchmarks.catalog_api import write_json
from benchmarks.harness import REPO
from benchmarks.report import percentile, ratio
from benchmarks.session import system_session

OUTPUT = REPO / ".ringbook" / "bench" / "bookings.json"
SYSTEM_ENV = {"FUNCTION_HANDLER_RATE_LIMIT": "", "BOOKINGS_API_RATE_LIMIT": ""}
NUMBER = "+390212345678"
INTERNAL = {"Authorization": "Bearer ringbook-development-internal-token"}
HOURS = (10, 12, 14, 16)
DAYS = 60
FIRST_DAY = date.today() + timedelta(days=2)  # clear of "today" in any time zone


@dataclass
class Row:
    label: str
    make: Callable[[int], tuple[str, dict[str, Any], dict[str, str]]]
    samples: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _call(name: str, arguments: dict[str, Any], key: str | None
          ) -> tuple[str, dict[str, Any], dict[str, str]]:
    headers = dict(INTERNAL) | ({"Idempotency-Key": key} if key else {})
    return "/api/function-handler", {
        "function_name": name, "arguments": arguments,
        "context": {"to": NUMBER, "customer_phone": "+393331234567"}}, headers


def rows(run: str) -> list[Row]:
    hot_day = FIRST_DAY.isoformat()

    def health(_: int) -> tuple[str, dict[str, Any], dict[str, str]]:
        return "/health", {}, {}

    def check(i: int) -> tuple[str, dict[str, Any], dict[str, str]]:
        return _call("check_slot_availability", {"date": hot_day, "start_time": "12:00"}, None)

    def hot(i: int) -> tuple[str, dict[str, Any], dict[str, str]]:
        return _call("book_spa_slot", {"customer_name": f"Guest {i}", "date": hot_day,
                                       "start_time": "10:00"}, f"{run}-hot-{i}")

    def spread(i: int) -> tuple[str, dict[str, Any], dict[str, str]]:
        day = (FIRST_DAY + timedelta(days=1 + (i // len(HOURS)) % (DAYS - 1))).isoformat()
        return _call("book_spa_slot", {"customer_name": f"Guest {i}", "date": day,
                                       "start_time": f"{HOURS[i % len(HOURS)]}:00"},
                     f"{run}-spread-{i}")

    return [Row("GET /health (floor)", health),
            Row("check_slot_availability (read baseline)", check),
            Row("book_spa_slot, one hot slot", hot),
            Row(f"book_spa_slot, {len(HOURS) * (DAYS - 1)} slots round-robin", spread)]


async def run_row(client: httpx.AsyncClient, row: Row, *, requests: int, concurrency: int,
                  warmup: int) -> None:
    async def one(i: int, record: bool) -> None:
        path, body, headers = row.make(i)
        started = perf_counter()
        try:
            response = (await client.get(path) if not body else
                        await client.post(path, json=body, headers=headers))
        except httpx.HTTPError as exc:
            row.errors.append(f"{type(exc).__name__}: {exc}")
            return
        elapsed_ms = (perf_counter() - started) * 1000
        answer = response.json() if response.is_success else {}
        ok = response.is_success and (not body or answer.get("success", answer.get("available")))
        if not ok:
            row.errors.append(f"{response.status_code} {response.text[:200]}")
        elif record:
            row.samples.append(elapsed_ms)

    for i in range(warmup):
        await one(20_000_000 + i, record=False)
    counter = itertools.count()

    async def worker() -> None:
        while (i := next(counter)) < requests:
            await one(i, record=True)

    began = perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    row.seconds = perf_counter() - began


async def set_up(client: httpx.AsyncClient) -> None:
    registered = await client.post("/api/auth/register", json={
        "email": f"bench-{uuid.uuid4().hex[:12]}@example.com", "password": "password123",
        "name": "Bench"})
    registered.raise_for_status()
    auth = {"Authorization": f"Bearer {registered.json()['token']}"}
    created = await client.post("/api/clients", headers=auth, json={
        "name": "Santa Caterina Beauty Farm", "phone_number": NUMBER})
    created.raise_for_status()
    client_id = created.json()["client"]["id"]
    weekly = [{"weekday": d, "start": f"{h}:00", "end": f"{h + 2}:00", "capacity": 14}
              for d in range(7) for h in HOURS]
    hot = {"date": FIRST_DAY.isoformat(), "capacity": 10_000}
    put = await client.put(f"/api/clients/{client_id}/slots", headers=auth, json={
        "timezone": "Europe/Rome", "weekly": weekly, "exceptions": [hot]})
    put.raise_for_status()


async def measure(gateway: str, *, requests: int, concurrency: int, warmup: int) -> list[Row]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=gateway, timeout=30, limits=limits) as client:
        await set_up(client)
        measured = rows(uuid.uuid4().hex[:8])
        for row in measured:
            print(f"» {row.label}", file=sys.stderr, flush=True)
            await run_row(client, row, requests=requests, concurrency=concurrency,
                          warmup=warmup)
        return measured


def figures(measured: list[Row]) -> list[dict[str, Any]]:
    floor, read = measured[0], measured[1]
    out = []
    for row in measured:
        per_second = len(row.samples) / row.seconds if row.seconds else None
        read_rate = len(read.samples) / read.seconds if read.seconds else None
        out.append({"row": row.label, "count": len(row.samples),
                    "per_second": per_second, "p50_ms": percentile(row.samples, 50),
                    "p99_ms": percentile(row.samples, 99),
                    "p50_vs_health": ratio(percentile(row.samples, 50),
                                           percentile(floor.samples, 50)),
                    "rate_vs_check": ratio(per_second, read_rate),
                    "errors": len(row.errors)})
    return out


def render(table: list[dict[str, Any]]) -> str:
    def cell(value: float | None, width: int, unit: str = "") -> str:
        return f"{'-':>{width}}" if value is None else f"{value:{width - len(unit)}.1f}{unit}"

    lines = [f"{'through the gateway':<44} {'n':>5} {'per s':>7} {'p50 ms':>7} {'p99 ms':>7} "
             f"{'p50/health':>10} {'rate/check':>10} {'errors':>6}"]
    for r in table:
        lines.append(f"{r['row']:<44} {r['count']:>5} {cell(r['per_second'], 7)} "
                     f"{cell(r['p50_ms'], 7)} {cell(r['p99_ms'], 7)} "
                     f"{cell(r['p50_vs_health'], 10, 'x')} {cell(r['rate_vs_check'], 10, 'x')} "
                     f"{r['errors']:>6}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bookings", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=500, help="per row (default 500)")
    parser.add_argument("--concurrency", type=int, default=8,
                        help="closed-loop clients (default 8)")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured calls per row")
    args = parser.parse_args(argv)
    if not (1 <= args.requests <= 9_000) or args.concurrency < 1 or args.warmup < 0:
        parser.error("--requests 1..9000 (the hot slot's places), --concurrency >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with system_session("bookings", SYSTEM_ENV) as run:
        measured = asyncio.run(measure(run.system.gateway, requests=args.requests,
                                       concurrency=args.concurrency, warmup=args.warmup))
        table = figures(measured)
        print(render(table), flush=True)
        for row in measured:
            for error in sorted(set(row.errors))[:3]:
                print(f"  {row.label}: {error}", flush=True)
        write_json(OUTPUT, {"requests": args.requests, "concurrency": args.concurrency,
                            "warmup": args.warmup, "postgres": "embedded, fsync on"}, table)
        print(f"figures written to {OUTPUT.relative_to(REPO)}", flush=True)
        run.keep_logs = any(row.errors for row in measured)
        return 1 if run.keep_logs else 0


if __name__ == "__main__":
    raise SystemExit(main())
