"""What the benchmark runs against: the whole system (LocalSystem, durable Postgres)
and the baseline app, started beside it on the same embedded Postgres; and the users.

If the system does not start, the Postgres it brought up is kept for the baseline so a
broken service still leaves a useful (baseline-only) run and a readable reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from ringbook_devtools.postgres_server import EmbeddedPostgres
from ringbook_devtools.processes import free_port, stop_process
from ringbook_devtools.system import LocalSystem

from benchmarks.loadgen import User

REPO = Path(__file__).resolve().parents[1]
# Call at any hour (no waiting in the bench); one attempt per request; short simulated
# calls, so the simulator's media streams do not crowd out the services being measured.
SYSTEM_ENV = {"DEFAULT_BUSINESS_HOURS": "always", "CALL_MAX_ATTEMPTS": "1",
              "SIMCARRIER_ANSWERED_HOLD_SECONDS": "2"}


@dataclass
class Bench:
    root: Path
    env: dict[str, str] = field(default_factory=lambda: dict(SYSTEM_ENV))
    system: LocalSystem | None = None
    system_error: str | None = None
    own_postgres: EmbeddedPostgres | None = None  # only when the system brought none up
    baseline: subprocess.Popen[bytes] | None = None
    baseline_url: str = ""
    users: tuple[User, ...] = ()
    roots: dict[str, int] = field(default_factory=dict)  # component -> pid, for CPU figures

    @property
    def gateway(self) -> str | None:
        return self.system.gateway if self.system and not self.system_error else None

    def start(self, *, users: int) -> Bench:
        self._start_system()
        self._start_baseline()
        if self.gateway:
            try:
                self.users = register(self.gateway, users)
            except (httpx.HTTPError, KeyError, ValueError) as exc:
                self.system_error = f"registering users failed: {type(exc).__name__}: {exc}"
        if not self.users:
            self.users = fake_users(users)
        return self

    def _start_system(self) -> None:
        # durable=True: fsync and synchronous_commit on, as in production.
        system = LocalSystem(root=self.root / "system", env=dict(self.env),
                             random_ports=True, durable=True)
        self.system = system
        try:
            system.start()
        except Exception as exc:
            self.system_error = f"{type(exc).__name__}: {exc}"
            for proc in system.processes.values():  # keep NATS/Postgres; drop the services
                stop_process(proc)
            return
        self.roots.update({name: proc.pid for name, proc in system.processes.items()})
        if system.nats is not None and system.nats.process is not None:
            self.roots["nats"] = system.nats.process.pid

    def _baseline_dsn(self) -> str:
        postgres = self.system.postgres if self.system else None
        if postgres is None and self.system is not None and self.system.database_url:
            return self.system.database_url  # external DATABASE_URL: share its database
        if postgres is None:
            postgres = self.own_postgres = EmbeddedPostgres(
                self.root / "postgres", durable=True).start()
        postgres.create_database("bench")
        if postgres.process is not None:
            self.roots["postgres"] = postgres.process.pid
        return postgres.dsn("bench")

    def _start_baseline(self) -> None:
        port = free_port()
        env = {"BENCH_DATABASE_URL": self._baseline_dsn(), "BENCH_PORT": str(port)}
        log = (self.root / "baseline.log").open("ab")
        self.baseline = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.baseline_app"], cwd=REPO,
            env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
        self.roots["baseline"] = self.baseline.pid
        self.baseline_url = f"http://127.0.0.1:{port}"
        wait_healthy(self.baseline_url, self.baseline, timeout=60)

    def finish(self, *, keep_logs: bool) -> None:
        """Stop everything; keep the run's folder (its logs) only if asked to."""
        print("» stopping", file=sys.stderr, flush=True)
        self.stop()
        if keep_logs:
            print(f"» logs kept in {self.root}", file=sys.stderr, flush=True)
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def stop(self) -> None:
        # Each step guarded: a failure to stop one thing must not leave the others running.
        if self.baseline is not None:
            try:
                stop_process(self.baseline, timeout=10)
            except Exception:
                self.baseline.kill()
        if self.system is not None:
            self.system.stop()
        if self.own_postgres is not None:
            self.own_postgres.stop()


def wait_healthy(url: str, proc: subprocess.Popen[bytes], *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"baseline exited with {proc.returncode}")
            try:
                if client.get(f"{url}/health").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    raise TimeoutError(f"baseline not healthy after {timeout}s")


def register(gateway: str, count: int) -> tuple[User, ...]:
    """One account per client, registered before any clock starts (argon2 hashing is
    deliberately slow and is not what the accept benchmark measures)."""
    users = []
    with httpx.Client(base_url=gateway, timeout=30) as client:
        for _ in range(count):
            response = client.post("/api/auth/register", json={
                "email": f"bench-{uuid.uuid4().hex[:12]}@example.com",
                "password": "password123", "name": "Bench User"})
            response.raise_for_status()
            body = response.json()
            users.append(User(id=body["user"]["id"], token=body["token"]))
    return tuple(users)


def fake_users(count: int) -> tuple[User, ...]:
    # The baseline checks no token; these keep the requests byte-for-byte alike.
    return tuple(User(id=str(uuid.uuid4()), token="x" * 160) for _ in range(count))
