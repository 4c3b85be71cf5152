"""``make bench-pipeline`` / ``python -m benchmarks.pipeline``: the event pipeline on its
own, each half beside the same work done with no Postgres in the same run.

A fresh embedded NATS (``sync_interval: always``) and Postgres (fsync on) start in a
temporary directory; the platform migrations (events, outbox, inbox) go to one schema.

* **relay**: ``--events`` (20,000) events are appended to the event store first (not
  timed); then a ``ServiceRuntime`` with only its outbox relay starts, and the events per
  second are taken between 10% and 90% of the outbox published (start-up left out).
  Baseline: this process publishing the same payloads to the same stream the way the relay
  does (batches of 256, acks awaited together), without Postgres.
* **consumer**: a durable pull worker (inbox claim, a handler that does nothing, one
  commit per fetched batch, then the acks) applies those events, timed likewise
  between 10% and 90%. Baseline: a plain pull consumer of the same stream, fetching 64 and
  acking each, without Postgres.

The table goes to stdout, progress to stderr, the figures to
.ringbook/bench/pipeline.json. Figures are printed, never asserted on.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from time import perf_counter

import asyncpg
import nats
from nats.js import JetStreamContext
from ringbook.bus.streams import ensure_stream
from ringbook.bus.worker import ConsumerSpec
from ringbook.clock import SystemClock
from ringbook.contracts.requests import RequestCanceled
from ringbook.contracts.streams import REQUESTS
from ringbook.events import Envelope, new_event
from ringbook.logging import configure_logging
from ringbook.runtime import ServiceRuntime
from ringbook.settings import Environment, ServiceSettings
from ringbook.store import event_store
from ringbook.store.database import Conn
from ringbook.store.migrations import migrate
from ringbook_devtools.nats_server import EmbeddedNats
from ringbook_devtools.postgres_server import EmbeddedPostgres

from benchmarks.catalog_api import write_json
from benchmarks.harness import REPO
from benchmarks.report import ratio

OUTPUT = REPO / ".ringbook" / "bench" / "pipeline.json"
SCHEMA = "bench_pipeline"


def say(text: str) -> None:
    print(f"» {text}", file=sys.stderr, flush=True)


def events(count: int) -> list[Envelope]:
    tenant, clock = uuid.uuid4(), SystemClock()
    made = []
    for _ in range(count):  # one aggregate each, as requests are
        agg = uuid.uuid4()
        made.append(new_event(RequestCanceled(reason="bench"), aggregate_id=agg, version=1,
                              tenant_id=tenant, correlation_id=agg, clock=clock))
    return made


async def timed(total: int, done: Callable[[], Awaitable[int]]) -> float:
    """Events per second between 10% and 90% of ``total`` done (polled every 20 ms)."""
    first = last = None
    while True:
        count = await done()
        now = perf_counter()
        if first is None and count >= total * 0.1:
            first = (now, count)
        if count >= total * 0.9 and first is not None:
            last = (now, count)
            break
        await asyncio.sleep(0.02)
    return (last[1] - first[1]) / max(last[0] - first[0], 1e-9)


def settings(dsn: str, nats_url: str) -> ServiceSettings:
    return ServiceSettings(service_name="bench-pipeline", environment=Environment.DEVELOPMENT,
                           database_url=dsn, db_schema=SCHEMA, nats_url=nats_url,
                           log_json=False, db_pool_min=1, db_pool_max=4)


async def relay_rate(dsn: str, nats_url: str, made: list[Envelope]) -> float:
    conn = await asyncpg.connect(dsn, server_settings={"search_path": SCHEMA})
    for i in range(0, len(made), 1000):
        async with conn.transaction():
            await event_store.append(conn, made[i:i + 1000])
    runtime = ServiceRuntime(settings=settings(dsn, nats_url), migrations_dir=None,
                             streams=[REQUESTS], relay=True)
    await runtime.start()

    async def published() -> int:
        return int(await conn.fetchval(
            "select count(*) from outbox where published_at is not null"))

    try:
        rate = await timed(len(made), published)
        # All of it in the stream before the consumers run (polled: Postgres says nothing).
        while await published() < len(made):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        return rate
    finally:
        await runtime.stop()
        await conn.close()


async def raw_publish_rate(js: JetStreamContext, made: list[Envelope]) -> float:
    began = perf_counter()
    for i in range(0, len(made), 256):
        await asyncio.gather(*(js.publish(e.subject, e.to_json(),
                                          headers={"Nats-Msg-Id": f"raw-{e.id}"})
                               for e in made[i:i + 256]))
    return len(made) / (perf_counter() - began)


async def consumer_rate(dsn: str, nats_url: str, total: int) -> float:
    applied = 0

    async def handler(conn: Conn, event: Envelope) -> None:
        nonlocal applied
        applied += 1

    runtime = ServiceRuntime(settings=settings(dsn, nats_url), migrations_dir=None,
                             streams=[REQUESTS], relay=False)
    runtime.add_consumer(ConsumerSpec(durable="bench_consumer", stream=REQUESTS), handler)
    await runtime.start()

    async def done() -> int:
        return applied

    try:
        return await timed(total, done)
    finally:
        await runtime.stop()


async def raw_consume_rate(js: JetStreamContext, total: int) -> float:
    sub = await js.pull_subscribe(REQUESTS.subject_filter(), durable="bench_raw",
                                  stream=REQUESTS.name)
    got = 0
    began = perf_counter()
    while got < total:
        for msg in await sub.fetch(64, timeout=5):
            await msg.ack()
            got += 1
    return total / (perf_counter() - began)


async def run(args: argparse.Namespace, root: Path) -> int:
    pg = EmbeddedPostgres(root / "postgres").start()
    server = EmbeddedNats(root / "nats").start()
    try:
        dsn = pg.dsn()
        await migrate(dsn, SCHEMA, None)
        nc = await nats.connect(server.url)
        js = nc.jetstream()
        await ensure_stream(js, REQUESTS, replicas=1)
        made = events(args.events)
        say(f"baseline: {len(made):,} publishes from this process, no Postgres")
        raw_publish = await raw_publish_rate(js, made)
        say("the outbox relay")
        relay = await relay_rate(dsn, server.url, made)
        stored = 2 * len(made)  # the baseline's copies and the relay's
        say(f"baseline: a plain pull consumer of the {stored:,} messages, no Postgres")
        raw_consume = await raw_consume_rate(js, stored)
        # The baseline's copies come first and carry the same event ids: the worker applies
        # each event once and takes the relay's copies as the duplicates they are.
        say("a durable pull worker (inbox, a commit per fetched batch)")
        consumer = await consumer_rate(dsn, server.url, len(made))
        await nc.close()
    finally:
        server.stop()
        pg.stop()
    rows = [
        {"row": "relay: outbox -> JetStream", "per_second": relay,
         "baseline": "publish, no Postgres", "baseline_per_second": raw_publish,
         "ratio": ratio(relay, raw_publish)},
        {"row": "consumer: applied, committed, acked", "per_second": consumer,
         "baseline": "fetch + ack, no Postgres", "baseline_per_second": raw_consume,
         "ratio": ratio(consumer, raw_consume)},
    ]
    print(f"{'events per second':40} {'ours':>9} {'baseline':>9} {'ratio':>7}")
    for r in rows:
        print(f"{r['row']:40} {r['per_second']:>9,.0f} {r['baseline_per_second']:>9,.0f}"
              f" {r['ratio'] or 0:>6.2f}x   ({r['baseline']})")
    write_json(OUTPUT, {"events": args.events, "postgres": "embedded, fsync on",
                        "nats": "embedded, sync_interval always"}, rows)
    print(f"figures written to {OUTPUT.relative_to(REPO)}", flush=True)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pipeline",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000,
                        help="events through the relay (default 20,000)")
    args = parser.parse_args()
    if not 1_000 <= args.events <= 1_000_000:
        parser.error("--events 1000..1000000")
    configure_logging(service="bench-pipeline", level="WARNING", json=False)
    root = Path(tempfile.mkdtemp(prefix="ringbook-bench-pipeline-"))
    try:
        raise SystemExit(asyncio.run(run(args, root)))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
