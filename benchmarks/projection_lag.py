"""``make bench-lag`` / ``python -m benchmarks.projection_lag``: how long a call event
takes to reach the call log (analytics-service's ``calls`` table) under a steady load,
beside a baseline measured in the same run.

A fresh embedded NATS (``sync_interval: always``) and Postgres (fsync on) are started
in a temporary directory and analytics-service's migrations applied to one schema. The
call log's live consumer (``PullWorker`` on the durable ``analytics-call-log``, the same
spec and handler the service runs) applies CALLS events while this process publishes
them at ``--rate`` events a second (500) for ``--seconds`` (20): for each call a
``call_started`` and, the next tick, the conversation's ``call_completed``.

The consumer runs in a process of its own, as in the service. The lag of an event is
from just before its publish to the first poll that sees its
effect on the row (the row exists; its duration is set), polled every ``--poll-ms`` (5)
on a connection of its own; so a figure is an upper bound, within a poll and a query of
the truth. The baseline is the same poll loop watching rows inserted directly into the
table (no NATS, no consumer): the measurement's own floor on this machine.

The table goes to stdout, progress to stderr, the figures to .ringbook/bench/lag.json.
Figures are printed, never asserted on.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import nats
from analytics_service.application.call_log_projection import CALL_LOG_SPEC
from analytics_service.entrypoints.app import migrations_dir
from analytics_service.entrypoints.consumers import call_log_consumers
from analytics_service.settings import AnalyticsSettings
from analytics_service.testing import CallFlow
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from ringbook.bus.streams import ensure_stream
from ringbook.bus.worker import PullWorker
from ringbook.clock import SystemClock
from ringbook.contracts.streams import CALLS
from ringbook.logging import configure_logging
from ringbook.store.database import create_pool
from ringbook.store.migrations import migrate
from ringbook_devtools.nats_server import EmbeddedNats
from ringbook_devtools.postgres_server import EmbeddedPostgres
from ringbook_devtools.processes import stop_process

from benchmarks.catalog_api import write_json
from benchmarks.harness import REPO

OUTPUT = REPO / ".ringbook" / "bench" / "lag.json"
SCHEMA = "bench_lag"
PRICES = AnalyticsSettings.model_construct().prices  # the defaults; no environment read


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Watcher:
    """Polls the table for the rows (and the rows' durations) it was told to expect, and
    notes when each was first seen."""

    def __init__(self, conn: asyncpg.Connection, poll_seconds: float) -> None:
        self._conn, self._poll = conn, poll_seconds
        self.pending: dict[tuple[uuid.UUID, bool], float] = {}  # (id, completed) -> sent
        self.lags_ms: dict[bool, list[float]] = {False: [], True: []}
        self._all_seen = asyncio.Event()

    def expect(self, call_id: uuid.UUID, completed: bool) -> None:
        self.pending[(call_id, completed)] = time.monotonic()
        self._all_seen.clear()

    async def run(self) -> None:
        while True:
            if self.pending:
                ids = list({call_id for call_id, _ in self.pending})
                rows = await self._conn.fetch(
                    "select id, duration_seconds is not null as done from calls"
                    " where id = any($1::uuid[])", ids)
                seen = time.monotonic()
                for row in rows:
                    for completed in (False, True):
                        if completed and not row["done"]:
                            continue
                        sent = self.pending.pop((row["id"], completed), None)
                        if sent is not None:
                            self.lags_ms[completed].append((seen - sent) * 1000)
                if not self.pending:
                    self._all_seen.set()
            await asyncio.sleep(self._poll)

    async def drain(self, within: float) -> None:
        """Until every expected row was seen, or ``within`` seconds (then some are lost)."""
        if self.pending:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._all_seen.wait(), within)


async def paced(rate: float, seconds: float, step: Callable[[int], Awaitable[None]]) -> float:
    """Call ``step(i)`` ``rate`` times a second for ``seconds`` (on schedule, not after
    the previous one: a slow step is caught up); the rate achieved."""
    started, total = time.monotonic(), int(rate * seconds)
    for i in range(total):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await step(i)
    return total / (time.monotonic() - started)


async def measure_pipeline(js: JetStreamContext, watcher: Watcher, args: argparse.Namespace
                           ) -> float:
    clock, tenant = SystemClock(), uuid.uuid4()
    open_calls: list[CallFlow] = []

    async def step(i: int) -> None:
        # Alternate: start a call, then complete the one started the tick before.
        if i % 2 == 0:
            call = CallFlow(tenant, datetime.now(UTC), clock)
            event, completed = call.started(), False
            open_calls.append(call)
        else:
            call = open_calls.pop()
            event, completed = call.conversation_completed(duration=30.0), True
        watcher.expect(call.id, completed)
        await js.publish(event.subject, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})

    return await paced(args.rate, args.seconds, step)


async def measure_floor(pool: asyncpg.Pool, watcher: Watcher, args: argparse.Namespace
                        ) -> float:
    tenant = uuid.uuid4()

    async def step(_: int) -> None:
        call_id = uuid.uuid4()
        watcher.expect(call_id, False)
        await pool.execute("insert into calls (id, tenant_id, direction, created_at)"
                           " values ($1, $2, 'outbound', now())", call_id, tenant)

    return await paced(args.rate, args.seconds / 2, step)


async def consumer_ready(js: JetStreamContext) -> None:
    """Until the consumer process has created its durable and pulls from it."""
    for _ in range(600):
        with contextlib.suppress(NotFoundError):
            info = await js.consumer_info(CALLS.name, CALL_LOG_SPEC.durable)
            if info.num_waiting:  # a pull request of the worker's is waiting
                return
        await asyncio.sleep(0.1)  # polling another process's start, bounded above
    raise RuntimeError("the consumer process did not start within 60 s")


async def consume(dsn: str, nats_url: str) -> None:
    """The consumer process: the call log's live worker, until terminated."""
    pool = await create_pool(dsn, schema=SCHEMA, min_size=2, max_size=4)
    nc = await nats.connect(nats_url)
    (spec, handler), = [c for c in call_log_consumers(PRICES) if c[0] == CALL_LOG_SPEC]
    worker = PullWorker(pool=pool, js=nc.jetstream(), spec=spec, handler=handler)
    await worker.ensure()
    await worker.run()


def row(label: str, lags: list[float], rate: float, floor_p50: float) -> dict[str, float | str]:
    p50, p99 = percentile(lags, 0.5), percentile(lags, 0.99)
    print(f"{label:44} {rate:7.0f} {len(lags):7d} {p50:8.1f} {p99:8.1f} {max(lags):8.1f}"
          f" {p50 / floor_p50:8.1f}x")
    return {"label": label, "rate": rate, "events": len(lags), "p50_ms": p50, "p99_ms": p99,
            "max_ms": max(lags), "mean_ms": statistics.fmean(lags)}


async def run(args: argparse.Namespace, root: Path) -> int:
    pg = EmbeddedPostgres(root / "postgres").start()
    server = EmbeddedNats(root / "nats").start()
    tasks: list[asyncio.Task[None]] = []
    consumer: subprocess.Popen[bytes] | None = None
    try:
        dsn = pg.dsn()
        await migrate(dsn, SCHEMA, migrations_dir())
        nc = await nats.connect(server.url)
        js = nc.jetstream()
        await ensure_stream(js, CALLS, replicas=1)
        pool = await create_pool(dsn, schema=SCHEMA, min_size=2, max_size=6)
        poller = await asyncpg.connect(dsn, server_settings={"search_path": SCHEMA})
        watcher = Watcher(poller, args.poll_ms / 1000)
        tasks.append(asyncio.create_task(watcher.run()))

        say(f"baseline: rows inserted directly at {args.rate:.0f}/s, polled every"
            f" {args.poll_ms} ms")
        floor_rate = await measure_floor(pool, watcher, args)
        await watcher.drain(10)
        floor = list(watcher.lags_ms[False])
        watcher.lags_ms = {False: [], True: []}

        # The consumer in a process of its own, as in the service: the publisher and the
        # poller here must not take its event loop's time.
        consumer = subprocess.Popen([sys.executable, "-m", "benchmarks.projection_lag",  # noqa: ASYNC220 (a fork, not a wait)
                                     "--consume", dsn, server.url])
        await consumer_ready(js)
        say(f"the call log's consumer, events published at {args.rate:.0f}/s for"
            f" {args.seconds:.0f} s")
        rate = await measure_pipeline(js, watcher, args)
        await watcher.drain(30)
        lost = len(watcher.pending)
        await poller.close()
    finally:
        if consumer is not None:
            stop_process(consumer)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await pool.close()
            await nc.close()
        server.stop()
        pg.stop()
    floor_p50 = percentile(floor, 0.5)
    print(f"{'event -> row (ms)':44} {'per s':>7} {'events':>7} {'p50':>8} {'p99':>8}"
          f" {'max':>8} {'p50/floor':>9}")
    rows = [row("floor: direct insert, same poll", floor, floor_rate, floor_p50),
            row("call_started -> row exists", watcher.lags_ms[False], rate / 2, floor_p50),
            row("call_completed -> duration set", watcher.lags_ms[True], rate / 2, floor_p50),
            row("all call events", watcher.lags_ms[False] + watcher.lags_ms[True], rate,
                floor_p50)]
    write_json(OUTPUT, {"rate": args.rate, "seconds": args.seconds, "poll_ms": args.poll_ms},
               rows)
    if lost:
        print(f"ERROR: {lost} events never reached the table")
        return 1
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.projection_lag")
    parser.add_argument("--rate", type=float, default=500.0, help="events a second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--poll-ms", type=int, default=5)
    parser.add_argument("--consume", nargs=2, metavar=("DSN", "NATS_URL"),
                        help=argparse.SUPPRESS)  # the consumer process (see run)
    args = parser.parse_args()
    configure_logging(service="bench-lag", json=False, level="ERROR")
    if args.consume:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(consume(*args.consume))
        return
    root = Path(tempfile.mkdtemp(prefix="ringbook-bench-lag-"))
    try:
        sys.exit(asyncio.run(run(args, root)))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
