"""media-bridge as a real process for the media load test: embedded Postgres and NATS,
the bridge pinned to core 0, and its CPU time and RSS read from /proc."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from ringbook_devtools.nats_server import EmbeddedNats
from ringbook_devtools.postgres_server import EmbeddedPostgres
from ringbook_devtools.processes import free_port, stop_process

BRIDGE_CORE = 0
GENERATOR_CORE = 1
TICKS = os.sysconf("SC_CLK_TCK")


def cores() -> tuple[set[int], set[int]]:
    """(bridge cores, generator cores): 0 and 1, or everything on a one-core machine.

    Ask before the generator pins itself: afterwards only its own core is left, and the
    bridge would be put beside it."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return set(available), set(available)
    return {available[BRIDGE_CORE]}, {available[GENERATOR_CORE]}


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def core_times(core: int) -> list[int]:
    """/proc/stat jiffies of one core: user nice system idle iowait irq softirq steal."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{core} "):
            return [int(v) for v in line.split()[1:9]]
    return [0] * 8


def core_shares(before: list[int], after: list[int]) -> dict[str, float]:
    """% of a core's time that was busy, idle and stolen (by the hypervisor)."""
    delta = [b - a for a, b in zip(before, after, strict=True)]
    total = sum(delta) or 1
    idle = delta[3] + delta[4]
    return {"busy_pct": 100 * (total - idle - delta[7]) / total,
            "idle_pct": 100 * idle / total, "steal_pct": 100 * delta[7] / total}


@dataclass
class CpuWindow:
    """CPU% (100 = one core) of a process between ``start`` and ``stop``."""

    pid: int
    cpu0: float = 0.0
    wall0: float = 0.0

    def start(self) -> None:
        self.cpu0, self.wall0 = cpu_seconds(self.pid), time.monotonic()

    def stop(self) -> float:
        wall = time.monotonic() - self.wall0
        return 100.0 * (cpu_seconds(self.pid) - self.cpu0) / wall if wall > 0 else 0.0


@dataclass
class BridgeProcess:
    root: Path
    cores: set[int]
    postgres: EmbeddedPostgres | None = None
    nats: EmbeddedNats | None = None
    process: subprocess.Popen[bytes] | None = None
    port: int = 0

    def start_infra(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.nats = EmbeddedNats(self.root / "nats").start()
        # Durable (fsync on), as in production: call_completed rows are real writes.
        self.postgres = EmbeddedPostgres(self.root / "postgres", durable=True).start()
        self.postgres.create_database("ringbook")

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/media-stream"

    def start(self, *, model_port: int, orchestrator_port: int) -> int:
        assert self.postgres is not None and self.nats is not None
        self.port = free_port()
        # A loopback bench against simulators is a development environment: without
        # ENVIRONMENT=development the bridge rightly refuses its public development secrets.
        env = {**os.environ, "ENVIRONMENT": "development",
               "DATABASE_URL": self.postgres.dsn("ringbook"),
               "NATS_URL": self.nats.url, "HTTP_PORT": str(self.port),
               "OPENAI_BASE_URL": f"http://127.0.0.1:{model_port}/v1",
               "OPENAI_API_KEY": "sim",
               "ORCHESTRATOR_URL": f"http://127.0.0.1:{orchestrator_port}",
               # The URL the Twilio side signs its upgrades over.
               "MEDIA_STREAM_URL": self.url,
               "LOG_LEVEL": "WARNING"}
        log = (self.root / "media-bridge.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "media_bridge.entrypoints.main"], env=env,
            stdout=log, stderr=subprocess.STDOUT)
        # Right after the fork, before the interpreter has started any thread: the
        # threads it starts later inherit the mask.
        os.sched_setaffinity(self.process.pid, self.cores)
        return self.process.pid

    def wait_ready(self, timeout: float = 60.0) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"media-bridge exited with {self.process.returncode}; "
                                       f"see {self.root / 'media-bridge.log'}")
                try:
                    if client.get(f"http://127.0.0.1:{self.port}/ready").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
        raise TimeoutError(f"media-bridge not ready after {timeout:.0f} s")

    def stop(self) -> None:
        for step in (self._stop_bridge, self._stop_nats, self._stop_postgres):
            try:
                step()
            except Exception as exc:  # each step guarded: leave nothing running
                print(f"» stopping: {type(exc).__name__}: {exc}", file=sys.stderr)

    def _stop_bridge(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop_process(self.process, timeout=15)

    def _stop_nats(self) -> None:
        if self.nats is not None:
            self.nats.stop()

    def _stop_postgres(self) -> None:
        if self.postgres is not None:
            self.postgres.stop()
