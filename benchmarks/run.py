"""``make bench`` / ``python -m benchmarks.run``: Ringbook beside a same-run baseline.

Order of phases, and why:
1. baseline closed loop, 2. baseline open loop: first, while the system is idle;
3. Ringbook open loop with call following: before the closed loop, whose accepted
   requests all flow on into calls and would be a backlog in front of call_started;
4. Ringbook closed loop: last, since nothing is measured after its calls.
The calls of phase 3 (the simulated carrier holds answered calls 20 s, sending 20 ms
media frames) are still running during phase 4. That is deliberate: accepted requests
become calls in production too, and the gateway shares the machine with them.

Progress goes to stderr, the table to stdout, the figures to .ringbook/bench/latest.json.
Timings are printed, never asserted on: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import multiprocessing
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import cpu
from benchmarks.harness import REPO, Bench
from benchmarks.loadgen import ClosedLoop, OpenLoop, run_phase
from benchmarks.report import call_figures, phase_figures, render, rows, write_json

OUTPUT = REPO / ".ringbook" / "bench" / "latest.json"
CALL_WINDOW = 30.0  # seconds from a 202 within which call_started must arrive


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=20.0,
                        help="seconds of load per phase (default 20)")
    parser.add_argument("--concurrency", type=int, default=32,
                        help="closed-loop clients, one keep-alive connection each (default 32)")
    parser.add_argument("--rate", type=float, default=20.0,
                        help="open-loop requests per second (default 20)")
    parser.add_argument("--quick", action="store_true", help="5 s phases, for smoke testing")
    parser.add_argument("--media", action="store_true",
                        help="run the media-bridge load test instead of the HTTP phases")
    parser.add_argument("--media-calls", default="50,100,200",
                        help="concurrent calls per media phase, comma-separated")
    parser.add_argument("--media-seconds", type=float, default=20.0,
                        help="seconds of streaming per media phase (default 20)")
    args = parser.parse_args(argv)
    try:
        args.media_sizes = [int(n) for n in args.media_calls.split(",") if n.strip()]
    except ValueError:
        parser.error("--media-calls must be comma-separated integers")
    if args.media and (not args.media_sizes or min(args.media_sizes) < 1
                       or args.media_seconds <= 0):
        parser.error("--media-calls and --media-seconds must be positive")
    if args.quick:
        args.duration = 5.0
    if args.duration <= 0 or args.concurrency < 1 or args.rate <= 0:
        parser.error("--duration, --concurrency and --rate must be positive")
    return args


def _child(spec: ClosedLoop | OpenLoop, conn: Any) -> None:
    # "ready" once imports are done, so the parent's CPU window covers the load only.
    conn.send(("ready", None))
    try:
        conn.send(("ok", run_phase(spec)))
    except BaseException as exc:  # reported to the parent, which decides
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def measure(name: str, spec: ClosedLoop | OpenLoop, bench: Bench) -> dict[str, Any]:
    """One phase in a fresh spawned generator process, with CPU accounting around it."""
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(spec, sender), name=f"bench-{name}", daemon=True)
    bound = spec.duration + (spec.call_window + 150 if isinstance(spec, OpenLoop) else 120)
    print(f"» {name}: {spec.duration:g} s against {spec.base_url}", file=sys.stderr, flush=True)
    proc.start()
    roots = {**bench.roots, "load generator": proc.pid or 0}
    try:
        if not receiver.poll(60) or receiver.recv()[0] != "ready":
            raise TimeoutError(f"{name}: the load generator did not start within 60 s")
        started, busy_before, before = time.monotonic(), cpu.host_busy(), cpu.snapshot(roots)
        pressure_before = cpu.cpu_pressure_us()
        # Read before joining: a large result would otherwise block the child on the pipe.
        if not receiver.poll(bound):
            raise TimeoutError(f"{name} did not finish within {bound:.0f} s")
        after, busy_after, wall = cpu.snapshot(roots), cpu.host_busy(), time.monotonic() - started
        pressure_after = cpu.cpu_pressure_us()
        status, payload = receiver.recv()
    finally:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=5)
    if status != "ok":
        raise RuntimeError(f"{name} failed in the load generator: {payload}")
    payload["cpu_cores"] = cpu.usage(before, after, wall)
    span = busy_after[1] - busy_before[1]
    payload["host_busy"] = (busy_after[0] - busy_before[0]) / span if span > 0 else 0.0
    if pressure_before is not None and pressure_after is not None and wall > 0:
        payload["cpu_pressure"] = (pressure_after - pressure_before) / 1e6 / wall
    return dict(payload)


def run(args: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="ringbook-bench-"))
    bench = Bench(root)
    figures: dict[str, Any] = {
        "config": {"duration_s": args.duration, "concurrency": args.concurrency,
                   "rate_per_s": args.rate, "call_window_s": CALL_WINDOW,
                   "postgres": "embedded, fsync on (durable)", "root": str(root)},
        "phases": {}}
    keep = False
    try:
        print("» starting the system and the baseline", file=sys.stderr, flush=True)
        bench.start(users=args.concurrency)
        figures["system_error"] = bench.system_error
        keep = bench.system_error is not None  # keep the logs to explain why
        base, users = bench.baseline_url, bench.users
        phases: list[tuple[str, ClosedLoop | OpenLoop]] = [
            ("baseline_closed", ClosedLoop(base, users, args.concurrency, args.duration)),
            ("baseline_open", OpenLoop(base, users, args.rate, args.duration))]
        if bench.gateway:
            gw = bench.gateway
            phases += [
                ("ringbook_open", OpenLoop(gw, users, args.rate, args.duration, follow=True,
                                           call_window=CALL_WINDOW)),
                ("ringbook_closed", ClosedLoop(gw, users, args.concurrency, args.duration))]
        for name, spec in phases:
            try:
                raw = measure(name, spec, bench)
            except (RuntimeError, TimeoutError) as exc:
                # One broken phase must not cost the figures of the others.
                print(f"» {name} failed: {exc}", file=sys.stderr, flush=True)
                figures.setdefault("failed_phases", {})[name] = str(exc)
                keep = True
                continue
            if "calls" in raw:
                figures["call_started"] = call_figures(raw.pop("calls"), CALL_WINDOW)
            figures["phases"][name] = phase_figures(raw)
    except BaseException:
        keep = True
        raise
    finally:
        bench.finish(keep_logs=keep)
    return figures


def _exit_on_sigterm() -> None:
    """``kill`` (SIGTERM) ends a run like Ctrl-C does: through the ``finally`` blocks that
    stop the processes it started. By default SIGTERM would kill this process alone and
    leave its media-bridge, Postgres and NATS running, pinned to the cores the next run
    measures on."""
    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def main(argv: list[str] | None = None) -> int:
    _exit_on_sigterm()
    args = parse_args(argv)
    if args.media:
        from benchmarks.media_load import run_media

        return run_media(args.media_sizes, args.media_seconds)
    figures = run(args)
    table = rows(figures, args.concurrency, args.duration, args.rate)
    print(render(table, figures), flush=True)
    write_json(OUTPUT, figures, table)
    print(f"figures written to {OUTPUT.relative_to(REPO)}", flush=True)
    # A system that does not start is a failure of the run (not of a timing).
    return 1 if figures.get("system_error") or figures.get("failed_phases") else 0


if __name__ == "__main__":
    raise SystemExit(main())
