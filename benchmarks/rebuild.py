"""``make bench-rebuild`` / ``python -m benchmarks.rebuild``: how fast a rebuild by replay
(``ringbook.store.rebuild``) applies analytics-service's projections (request facts and
the call log), beside a baseline measured in the same run: the live consumers
(``PullWorker``, every durable of those projections) applying the same events.

A fresh embedded NATS (``sync_interval: always``) and Postgres (fsync on) are started
in a temporary directory, the service's migrations applied to one schema, and
``--events`` (100,000) REQUESTS and CALLS events generated: requests of eight tenants
over six days, each with its call events (scheduled, started, connected, failed,
booked, completed) or a cancel, published to the real streams as the services would.

1. baseline: both live consumers run for ``--baseline-seconds`` from sequence 1;
   applied events (their inbox rows) per second;
2. rebuild: ``rebuild`` of the whole history into fresh tables and the swap; applied
   events per second, and how long the live workers were held. The live consumers are
   stopped first, so the two figures do not share the machine's two cores with each
   other; the rebuild reads the streams with its own ordered consumers either way.

The rebuilt table must hold one row per request generated (the run exits 1 if not).
Progress goes to stderr, the table to stdout, the figures to .ringbook/bench/rebuild.json.
Figures are printed, never asserted on.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import nats
from analytics_service.application.call_log_projection import CALL_EVENT_TYPES
from analytics_service.entrypoints.app import migrations_dir
from analytics_service.entrypoints.projections import projections
from analytics_service.settings import AnalyticsSettings
from analytics_service.testing import RequestFlow
from nats.js import JetStreamContext
from ringbook.bus.streams import ensure_stream
from ringbook.bus.worker import PullWorker
from ringbook.clock import FakeClock
from ringbook.contracts.streams import ANALYTICS, CALLS, CATALOG, REQUESTS
from ringbook.events import Envelope
from ringbook.logging import configure_logging
from ringbook.store.database import create_pool
from ringbook.store.migrations import migrate
from ringbook.store.rebuild import rebuild
from ringbook_devtools.nats_server import EmbeddedNats
from ringbook_devtools.postgres_server import EmbeddedPostgres

from benchmarks.catalog_api import write_json
from benchmarks.harness import REPO

OUTPUT = REPO / ".ringbook" / "bench" / "rebuild.json"
# The default prices, without reading the environment (the bench needs no settings).
PRICES = AnalyticsSettings.model_construct().prices
SCHEMA = "bench_rebuild"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
# The call steps of each kind of request, cycled through (a cancel is on REQUESTS).
KINDS = (
    (), ("scheduled",), ("started",), ("started", "connected"), ("started", "failed"),
    ("started", "connected", "booking", "booked", "completed"), ("canceled",),
    ("scheduled", "started", "connected", "booked", "completed"),
)


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def generate(total: int) -> tuple[list[Envelope], int]:
    """``total`` events in the order the services would publish them; and the number
    of requests among them."""
    clock, tenants = FakeClock(NOW), [uuid.uuid4() for _ in range(8)]
    events: list[Envelope] = []
    requests = 0
    while len(events) < total:
        flow = RequestFlow(tenants[requests % 8], NOW - timedelta(days=requests % 6), clock)
        steps = KINDS[requests % len(KINDS)][: max(total - len(events) - 1, 0)]
        events.append(flow.received())
        for step in steps:
            if step == "canceled":
                events.append(flow.canceled())
            elif step == "failed":
                events.append(flow.failed(retry=True))
            else:
                events.append(getattr(flow, step)())
        requests += 1
    return events, requests


async def publish_all(js: JetStreamContext, events: list[Envelope]) -> float:
    started = time.monotonic()
    window: list[asyncio.Future[Any]] = []
    for i, event in enumerate(events):
        window.append(await js.publish_async(event.subject, event.to_json(),
                                             headers={"Nats-Msg-Id": str(event.id)}))
        if len(window) >= 2000:
            await asyncio.gather(*window)
            window.clear()
            if (i + 1) % 20000 == 0:
                say(f"  published {i + 1}")
    await asyncio.gather(*window)
    return time.monotonic() - started


async def baseline(pool: asyncpg.Pool, js: JetStreamContext, seconds: float) -> float:
    workers = [PullWorker(pool=pool, js=js, spec=spec, handler=handler, batch=256)
               for projection in projections(PRICES) for spec, handler in projection.consumers]
    for worker in workers:
        await worker.ensure()
    started = time.monotonic()
    tasks = [asyncio.create_task(w.run()) for w in workers]
    await asyncio.sleep(seconds)  # a measuring window, not a wait for something to happen
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    elapsed = time.monotonic() - started
    applied: int = await pool.fetchval("select count(*) from inbox")
    return applied / elapsed


async def run(args: argparse.Namespace, root: Path) -> int:
    pg = EmbeddedPostgres(root / "postgres").start()
    server = EmbeddedNats(root / "nats").start()
    try:
        dsn = pg.dsn()
        await migrate(dsn, SCHEMA, migrations_dir())
        nc = await nats.connect(server.url)
        js = nc.jetstream()
        # CATALOG and ANALYTICS stay empty: the call log's clients and logged calls.
        for spec in (REQUESTS, CALLS, CATALOG, ANALYTICS):
            await ensure_stream(js, spec, replicas=1)
        events, requests = generate(args.events)
        say(f"publishing {len(events)} events ({requests} requests)")
        publish_seconds = await publish_all(js, events)
        pool = await create_pool(dsn, schema=SCHEMA, min_size=2, max_size=6)
        say(f"baseline: the live consumers for {args.baseline_seconds:.0f} s")
        live_rate = await baseline(pool, js, args.baseline_seconds)
        say("rebuilding from sequence 1")
        report = await rebuild(dsn=dsn, schema=SCHEMA, js=js, projections=projections(PRICES))
        rows: int = await pool.fetchval("select count(*) from request_facts")
        await pool.close()
        await nc.close()
    finally:
        server.stop()
        pg.stop()
    applied = sum(report.applied.values())
    table = [
        ("publish (REQUESTS + CALLS, async acks)", len(events) / publish_seconds),
        ("live consumers (baseline)", live_rate),
        ("rebuild by replay", report.events_per_second),
    ]
    print(f"{'':42} {'events/s':>10} {'vs live':>8}")
    for label, rate in table:
        print(f"{label:42} {rate:10.0f} {rate / live_rate:7.1f}x")
    print(f"rebuild: {applied} events in {report.seconds:.1f} s, {report.rounds} rounds,"
          f" live workers held {report.held_seconds * 1000:.0f} ms, {rows} rows")
    write_json(OUTPUT, {"events": len(events), "requests": requests,
                        "baseline_seconds": args.baseline_seconds},
               [{"label": label, "events_per_second": rate} for label, rate in table]
               + [{"label": "rebuild", "seconds": report.seconds, "applied": applied,
                   "held_seconds": report.held_seconds, "rounds": report.rounds}])
    # The call log's durable applies the call events a second time, into its own table.
    expected = len(events) + sum(1 for e in events if e.type in CALL_EVENT_TYPES)
    if rows != requests or applied != expected:
        print(f"ERROR: {rows} rows for {requests} requests, {applied} of {expected} applied")
        return 1
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rebuild")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--baseline-seconds", type=float, default=20.0)
    args = parser.parse_args()
    # Errors only: the baseline's RetryLater warnings are the live path working as meant.
    configure_logging(service="bench-rebuild", json=False, level="ERROR")
    root = Path(tempfile.mkdtemp(prefix="ringbook-bench-rebuild-"))
    try:
        sys.exit(asyncio.run(run(args, root)))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
