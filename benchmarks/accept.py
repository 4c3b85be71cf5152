"""``make bench-accept``: the accept path beside the bare-insert floor, in one run.

Phases, in this order (each a fresh wrk run of 32 connections unless said otherwise):

1. **floor**: ``benchmarks.baseline_app`` (FastAPI + one fsynced insert into the same
   embedded Postgres), the least a durable accept can cost on this machine;
2. **whole system**: ``POST /api/process-request`` through the gateway with every
   process running;
3. **sustained to scheduled**: open-loop rates (``benchmarks.rawload``), each request
   followed until its timeline shows ``scheduled`` in Postgres; the highest rate at
   which every accepted request got there with p99 under 1 s;
4. **gateway alone**: the same as 2 with every other service and simulator stopped
   (SIGSTOP), so no consumer competes for the cores. request-service's own relay still
   publishes (it is part of what an accept costs); nothing consumes. Last, so the
   backlog it leaves needs no draining.

The callee's business hours are closed for the whole run (``DEFAULT_BUSINESS_HOURS`` is
a window days away), as in the issue's measurement: every request is scheduled for later
and no call is dialled, so the figures are the accept and the event pipeline, not the
carrier simulator. Between phases the system is drained (no request still ``queued``).

Each figure is printed with its ratio to the floor; CPU per accepted request is given
for each process (Postgres counted as one process tree, its backends included). Figures
go to stdout and ``.ringbook/bench/accept.json``; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from benchmarks import cpu, wrk
from benchmarks.accept_report import render
from benchmarks.harness import REPO, Bench
from benchmarks.loadgen import BUSY_NUMBER
from benchmarks.rawload import RatePhase, run_rate_phase
from benchmarks.report import percentile

OUTPUT = REPO / ".ringbook" / "bench" / "accept.json"
SCHEMA = "request_service"
TARGET_P99_S = 1.0


def closed_hours(now: datetime) -> str:
    """A one-minute window three days away: closed now in every time zone."""
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(now + timedelta(days=3)).weekday()]
    return f"{day} 03:00-03:01"


def accept_env() -> dict[str, str]:
    return {"DEFAULT_BUSINESS_HOURS": closed_hours(datetime.now(UTC)), "CALL_MAX_ATTEMPTS": "1"}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def closed_phase(bench: Bench, url: str, run: wrk.WrkRun) -> dict[str, Any]:
    children_before = _children_cpu()
    proc, folder = wrk.start(wrk.WrkRun(url, bench.users, run.connections, run.duration))
    started, before = time.monotonic(), cpu.snapshot(bench.roots)
    # wrk runs for its duration; its summary arrives when it exits.
    figures = wrk.finish(proc, folder, timeout=run.duration + 60)
    wall = time.monotonic() - started
    after = cpu.snapshot(bench.roots)
    # wrk has exited, so /proc no longer has it: its CPU is what this process's waited-for
    # children used meanwhile (wrk is the only child that ends during a phase).
    after["wrk"] = _children_cpu() - children_before
    ok = max(figures["ok"], 1)
    figures["cpu_ms_per_request"] = {
        name: (after[name] - before.get(name, 0.0)) * 1000 / ok for name in after}
    figures["cores"] = cpu.usage(before, after, wall)
    return figures


async def _queued(dsn: str) -> int:
    conn = await asyncpg.connect(dsn, server_settings={"search_path": SCHEMA})
    try:
        return int(await conn.fetchval("select count(*) from requests where status = 'queued'"))
    finally:
        await conn.close()


def drain(bench: Bench, timeout: float = 300.0) -> float:
    """Seconds until no request is still ``queued`` (each has been scheduled)."""
    assert bench.system is not None
    started = time.monotonic()
    while asyncio.run(_queued(bench.system.database_url)) > 0:
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"requests still queued after {timeout:.0f} s")
        time.sleep(0.5)
    return time.monotonic() - started


def _generate(phase: RatePhase, conn: Any) -> None:
    conn.send(run_rate_phase(phase))
    conn.close()


async def _watch(dsn: str, receiver: Any, grace: float) -> tuple[dict[str, Any], dict[str, float]]:
    """Poll the timeline for ``scheduled`` rows while the generator runs, then until
    every accepted request has one or ``grace`` seconds have passed."""
    seen: dict[str, float] = {}
    conn = await asyncpg.connect(dsn, server_settings={"search_path": SCHEMA})
    try:
        last = int(await conn.fetchval("select coalesce(max(seq), 0) from request_timeline"))
        result: dict[str, Any] | None = None
        deadline = float("inf")
        while time.monotonic() < deadline:
            rows = await conn.fetch(
                "select seq, request_id::text as id from request_timeline"
                " where seq > $1 and type = 'scheduled' order by seq", last)
            now = time.time()
            for row in rows:
                seen.setdefault(row["id"], now)
                last = row["seq"]
            if result is None and receiver.poll():
                result = receiver.recv()
                deadline = time.monotonic() + grace
            if result is not None and set(result["accepted"]) <= set(seen):
                break
            await asyncio.sleep(0.02)
    finally:
        await conn.close()
    assert result is not None, "the generator sent no result"
    return result, seen


def rate_phase(bench: Bench, rate: float, duration: float) -> dict[str, Any]:
    assert bench.system is not None and bench.gateway is not None
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    phase = RatePhase(bench.gateway, bench.users, rate, duration, BUSY_NUMBER)
    proc = ctx.Process(target=_generate, args=(phase, sender), daemon=True)
    proc.start()
    try:
        result, seen = asyncio.run(_watch(bench.system.database_url, receiver, grace=10.0))
    finally:
        proc.join(timeout=30)
    accepted: dict[str, float] = result["accepted"]
    lags = [seen[rid] - due for rid, due in accepted.items() if rid in seen]
    p99 = percentile(lags, 99)
    refused = sum(n for status, n in result["outcomes"].items() if status != "202")
    missing = len(accepted) - len(lags)
    passed = (refused == 0 and missing == 0 and p99 is not None and p99 < TARGET_P99_S
              and len(accepted) == result["sent"])
    return {"rate": rate, "sent": result["sent"], "accepted": len(accepted), "refused": refused,
            "outcomes": result["outcomes"], "not_scheduled": missing, "passed": passed,
            "to_scheduled_p50_s": percentile(lags, 50), "to_scheduled_p99_s": p99,
            "accept_p99_ms": percentile(result["latencies_ms"], 99),
            "send_late_p99_ms": percentile(result["late_ms"], 99)}


def search_rate(bench: Bench, floor: float, ceiling: float, duration: float,
                steps: int) -> list[dict[str, Any]]:
    """Bisect between 0 and the whole system's closed-loop rate, starting at the
    target (0.25x the floor), draining between steps."""
    tried: list[dict[str, Any]] = []
    low, high, rate = 0.0, max(ceiling * 1.05, 1.0), max(floor * 0.25, 1.0)
    for _ in range(steps):
        print(f"» open loop at {rate:.0f}/s for {duration:g} s", file=sys.stderr, flush=True)
        step = rate_phase(bench, rate, duration)
        tried.append(step)
        print(f"»   {'passed' if step['passed'] else 'missed'}: p99 to scheduled "
              f"{step['to_scheduled_p99_s']}", file=sys.stderr, flush=True)
        drain(bench)
        low, high = (rate, high) if step["passed"] else (low, rate)
        rate = (low + high) / 2
    return tried


def run(args: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="ringbook-bench-accept-"))
    bench = Bench(root, env=accept_env())
    keep = True
    figures: dict[str, Any] = {"config": {
        "connections": args.connections, "duration_s": args.duration,
        "rate_duration_s": args.rate_duration, "business_hours": bench.env,
        "postgres": "embedded, fsync on", "nats": "embedded, sync_interval always"}}
    try:
        print("» starting the system and the floor", file=sys.stderr, flush=True)
        bench.start(users=8)
        if bench.gateway is None:
            raise RuntimeError(f"the system did not start: {bench.system_error}")
        run_spec = wrk.WrkRun("", bench.users, args.connections, args.duration)
        for url in (bench.baseline_url, bench.gateway):  # warm-up, not measured
            closed_phase(bench, url, wrk.WrkRun(url, bench.users, args.connections, 3))
        drain(bench)
        print("» floor", file=sys.stderr, flush=True)
        figures["floor"] = closed_phase(bench, bench.baseline_url, run_spec)
        print("» whole system", file=sys.stderr, flush=True)
        figures["whole_system"] = closed_phase(bench, bench.gateway, run_spec)
        figures["whole_system"]["drain_s"] = drain(bench)
        figures["rates"] = search_rate(bench, figures["floor"]["per_s"],
                                       figures["whole_system"]["per_s"],
                                       args.rate_duration, args.steps)
        print("» gateway alone (every other process stopped)", file=sys.stderr, flush=True)
        figures["gateway_alone"] = paused(bench, lambda: closed_phase(
            bench, str(bench.gateway), run_spec))
        keep = False
    finally:
        bench.finish(keep_logs=keep)
    return figures


def paused(bench: Bench, measure: Any) -> dict[str, Any]:
    assert bench.system is not None
    others = [p for name, p in bench.system.processes.items() if name != "request-service"]
    for proc in others:
        os.kill(proc.pid, signal.SIGSTOP)
    try:
        return dict(measure())
    finally:
        for proc in others:
            os.kill(proc.pid, signal.SIGCONT)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.accept", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=15.0, help="wrk seconds (15)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--rate-duration", type=float, default=10.0,
                        help="seconds per open-loop rate (10)")
    parser.add_argument("--steps", type=int, default=7, help="open-loop rates tried (7)")
    args = parser.parse_args(argv)
    if min(args.duration, args.rate_duration) <= 0 or args.connections < 1 or args.steps < 1:
        parser.error("--duration, --rate-duration, --connections and --steps must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    args = parse_args(argv)
    if wrk.available() is None:
        print("wrk is not installed: `apt-get install wrk` (Debian's package)", file=sys.stderr)
        return 2
    figures = run(args)
    print(render(figures), flush=True)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps({"measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                                  **figures}, indent=2, default=str) + "\n")
    print(f"figures written to {OUTPUT.relative_to(REPO)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
