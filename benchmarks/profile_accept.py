"""``make profile-accept``: where the accept path's CPU goes, process by process.

The same load as ``make bench-accept`` (wrk, 32 connections, the callee's hours closed
so every request is scheduled and none dialled), profiled with py-spy, a sampling
profiler that attaches to a running process and does not slow it down much:

1. **whole system**: every Ringbook service sampled while the gateway takes load;
2. **gateway alone**: request-service sampled while every other process is stopped.

For each sampled process it prints CPU ms per accepted request (from /proc, as the
benchmark) and the frames that hold the most samples: by package (where the CPU is
spent itself) and by our own functions (what the time is spent on behalf of). The
collapsed stacks are kept in ``.ringbook/bench/profiles/`` for a flame graph tool
(speedscope, inferno, flamegraph.pl all read them). Postgres and NATS are not Python:
their CPU is given, their insides are not sampled.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import wrk
from benchmarks.accept import accept_env, closed_phase, drain, paused
from benchmarks.harness import REPO, Bench

OUTPUT = REPO / ".ringbook" / "bench" / "profiles"
SERVICES = ("request-service", "call-orchestrator", "media-bridge", "catalog-service",
            "analytics-service")
# Our own code, named by its package directory in py-spy's frame ("fn (pkg/mod.py:12)").
OWN_PACKAGES = ("ringbook/", *(f"{name.replace('-', '_')}/" for name in SERVICES))
# A process's entry point holds every sample of its main thread: it says nothing.
ROOT_FRAMES = ("entrypoints/main.py", "ringbook/web/serve.py")
CONNECTIONS = 32  # as make bench-accept
SAMPLES_PER_S = 97  # py-spy's default is 100; a prime avoids beating with 10 ms timers


def _record(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(shutil.which("py-spy")), "record", "--pid", str(pid), "--duration",
         str(int(seconds)), "--rate", str(SAMPLES_PER_S), "--format", "raw",
         "--nonblocking", "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _frames(line: str) -> tuple[list[str], int]:
    stack, _, count = line.rstrip().rpartition(" ")
    # The first frame names the process ("process 123:..."), not code.
    return [f for f in stack.split(";")[1:] if not f.startswith("thread ")], int(count)


def summarize(collapsed: Path, top: int) -> dict[str, Any]:
    """Shares of samples: self time by package, and inclusive time by own function."""
    by_package: collections.Counter[str] = collections.Counter()
    by_function: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        frames, count = _frames(line)
        if not frames:
            continue
        total += count
        location = frames[-1].rpartition("(")[2]
        by_package[location.split("/")[0].split(":")[0].removesuffix(".py")] += count
        # A function counted once per sample, however deep its recursion.
        own = {f for f in frames if any(f"({p}" in f for p in OWN_PACKAGES)
               and not any(root in f for root in ROOT_FRAMES)}
        for frame in own:
            by_function[frame.split(":")[0] + ")"] += count
    share = 100.0 / max(total, 1)
    return {"samples": total,
            "self_by_package": [(k, v * share) for k, v in by_package.most_common(top)],
            "inclusive_own": [(k, v * share) for k, v in by_function.most_common(top)]}


def _profile_phase(bench: Bench, tag: str, names: tuple[str, ...], seconds: float,
                   top: int) -> dict[str, Any]:
    assert bench.system is not None and bench.gateway is not None
    spies = {name: _record(bench.system.processes[name].pid, seconds,
                           OUTPUT / f"{tag}-{name}.txt") for name in names}
    run = wrk.WrkRun(bench.gateway, bench.users, CONNECTIONS, seconds)
    figures = closed_phase(bench, bench.gateway, run)
    for spy in spies.values():
        spy.wait(timeout=seconds + 60)
    profiles = {name: summarize(OUTPUT / f"{tag}-{name}.txt", top) for name in names
                if (OUTPUT / f"{tag}-{name}.txt").exists()}
    return {"per_s": figures["per_s"], "cpu_ms_per_request": figures["cpu_ms_per_request"],
            "profiles": profiles}


def render(tag: str, phase: dict[str, Any]) -> str:
    cpu = phase["cpu_ms_per_request"]
    lines = [f"== {tag}: {phase['per_s']:.0f} accepted/s; CPU ms per request: "
             + ", ".join(f"{k} {v:.2f}" for k, v in sorted(cpu.items(), key=lambda kv: -kv[1])
                         if v >= 0.01)]
    for name, profile in phase["profiles"].items():
        lines.append(f"-- {name} ({profile['samples']} samples)")
        lines.append("   self, by package: " + ", ".join(
            f"{k} {v:.0f}%" for k, v in profile["self_by_package"][:8]))
        lines.extend(f"   {v:5.1f}%  {k}" for k, v in profile["inclusive_own"])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_accept",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per phase (15)")
    parser.add_argument("--top", type=int, default=15, help="functions shown per process")
    args = parser.parse_args(argv)
    if wrk.available() is None or shutil.which("py-spy") is None:
        print("needs wrk (`apt-get install wrk`) and py-spy (`make install`)", file=sys.stderr)
        return 2
    OUTPUT.mkdir(parents=True, exist_ok=True)
    bench = Bench(Path(tempfile.mkdtemp(prefix="ringbook-profile-accept-")), env=accept_env())
    try:
        bench.start(users=8)
        if bench.gateway is None:
            raise RuntimeError(f"the system did not start: {bench.system_error}")
        closed_phase(bench, bench.gateway, wrk.WrkRun(bench.gateway, bench.users, CONNECTIONS, 3))
        drain(bench)
        whole = _profile_phase(bench, "whole", SERVICES, args.duration, args.top)
        print(render("whole system", whole), flush=True)
        drain(bench)
        alone = paused(bench, lambda: _profile_phase(
            bench, "alone", ("request-service",), args.duration, args.top))
        print(render("gateway alone", alone), flush=True)
    finally:
        bench.finish(keep_logs=False)
    print(f"collapsed stacks in {OUTPUT.relative_to(REPO)}/", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
