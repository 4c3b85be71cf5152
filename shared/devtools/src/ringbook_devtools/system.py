"""The whole system on one machine: NATS, Postgres, the simulated carrier and the five
services as real processes. ``make run`` and the e2e tests both use it.

External servers are used instead of the embedded ones when ``DATABASE_URL`` /
``NATS_URL`` are set; the carrier simulator is replaced by real Twilio when
``TELEPHONY_PROVIDER=twilio``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ringbook_devtools.nats_server import EmbeddedNats
from ringbook_devtools.postgres_server import EmbeddedPostgres
from ringbook_devtools.processes import free_ports, port_free, stop_process, wait_for_port

SERVICES: dict[str, tuple[str, int]] = {
    # name: (module, default port)
    "request-service": ("request_service.entrypoints.main", 8000),
    "call-orchestrator": ("call_orchestrator.entrypoints.main", 8001),
    "media-bridge": ("media_bridge.entrypoints.main", 8002),
    "catalog-service": ("catalog_service.entrypoints.main", 8003),
    "analytics-service": ("analytics_service.entrypoints.main", 8004),
}
CARRIER_PORT = 8100
MODEL_PORT = 8200
# The SIMULATED LLM (Responses API) that analytics-service's post-call analysis asks.
LLM_PORT = 8101


@dataclass
class LocalSystem:
    root: Path
    env: dict[str, str] = field(default_factory=dict)
    random_ports: bool = False
    durable: bool = True
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    nats: EmbeddedNats | None = None
    postgres: EmbeddedPostgres | None = None
    database_url: str = ""
    nats_url: str = ""

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    @property
    def gateway(self) -> str:
        return self.url("request-service")

    def start(self) -> LocalSystem:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "logs").mkdir(exist_ok=True)
        fixed = {**{name: port for name, (_, port) in SERVICES.items()},
                 "carrier": CARRIER_PORT, "model": MODEL_PORT, "llm": LLM_PORT,
                 "nats": 4222, "monitor_port": 8222, "postgres": 5432}
        # Chosen together, so no two of them (the servers' included) can be the same.
        chosen = dict(zip(fixed, free_ports(len(fixed)), strict=True))
        self.ports.update(chosen if self.random_ports else fixed)
        infra = {name: self.ports.pop(name) for name in ("nats", "monitor_port", "postgres")}
        busy = [f"{name} ({port})" for name, port in self.ports.items() if not port_free(port)]
        if busy:
            raise RuntimeError("ports already in use: " + ", ".join(busy)
                               + " -- is Ringbook already running?")
        self._start_infra(**infra)
        if self._simulated:
            self._spawn("carrier", [sys.executable, "-m", "ringbook_simulators.carrier"])
        if self._simulated_model:
            self._spawn("model", [sys.executable, "-m", "ringbook_simulators.realtime",
                                  "--port", str(self.ports["model"])])
            self._spawn("llm", self._llm_argv())
        for name, (module, _) in SERVICES.items():
            self._spawn(name, [sys.executable, "-m", module])
        # Generous: six Python processes importing on two shared cores can be slow.
        self.wait_ready(timeout=180)
        return self

    def _llm_argv(self) -> list[str]:
        return [sys.executable, "-m", "ringbook_simulators.responses",
                "--port", str(self.ports["llm"])]

    @property
    def _simulated(self) -> bool:
        merged = {**os.environ, **self.env}
        return merged.get("TELEPHONY_PROVIDER", "simulated") == "simulated"

    @property
    def _simulated_model(self) -> bool:
        # A real OPENAI_API_KEY means the real model; otherwise the simulated one.
        return not {**os.environ, **self.env}.get("OPENAI_API_KEY")

    def _start_infra(self, *, nats: int, monitor_port: int, postgres: int) -> None:
        self.database_url = os.environ.get("DATABASE_URL", "")
        self.nats_url = os.environ.get("NATS_URL", "")
        monitor = os.environ.get("NATS_MONITOR_URL", "")
        if not self.nats_url:
            self.nats = EmbeddedNats(self.root / "nats", port=nats,
                                     monitor_port=monitor_port).start()
            self.nats_url, monitor = self.nats.url, self.nats.monitor_url
        if not self.database_url:
            self.postgres = EmbeddedPostgres(self.root / "postgres", durable=self.durable,
                                             port=postgres).start()
            self.postgres.create_database("ringbook")
            self.database_url = self.postgres.dsn("ringbook")
        self.env.setdefault("NATS_MONITOR_URL", monitor)

    def service_env(self, name: str) -> dict[str, str]:
        p = self.ports
        orchestrator = self.url("call-orchestrator")
        env = {
            # The public development secrets, unless the caller's environment says
            # otherwise (then the services insist on real ones).
            "ENVIRONMENT": "development",
            **os.environ,
            "DATABASE_URL": self.database_url,
            "NATS_URL": self.nats_url,
            "PUBLIC_BASE_URL": orchestrator,
            "MEDIA_STREAM_URL": f"ws://127.0.0.1:{p['media-bridge']}/media-stream",
            "TWILIO_API_BASE_URL": f"http://127.0.0.1:{p['carrier']}",
            "SIMCARRIER_PORT": str(p["carrier"]),
            "ORCHESTRATOR_URL": orchestrator,
            # The gateway forwards catalog's and analytics' public paths to these.
            "CATALOG_SERVICE_URL": self.url("catalog-service"),
            "ANALYTICS_SERVICE_URL": self.url("analytics-service"),
            # catalog-service's blob store (uploaded knowledge files), kept with the run.
            "FILE_STORE_DIR": str(self.root / "files"),
            # The simulated numbers' webhooks: an incoming call rings call-orchestrator,
            # at the very URL (PUBLIC_BASE_URL + path) its signature check expects.
            "SIMCARRIER_INCOMING_CALL_URL": f"{orchestrator}/webhook/incoming-call",
            "SIMCARRIER_INCOMING_STATUS_CALLBACK_URL": f"{orchestrator}/webhook/call-status",
            **self.env,
        }
        if name in SERVICES:
            env["HTTP_PORT"] = str(p[name])
        if self._simulated_model:
            env["OPENAI_BASE_URL"] = f"http://127.0.0.1:{p['model']}/v1"
            # Text (post-call analysis; leads' analysis and drafts): the SIMULATED LLM.
            if name in ("analytics-service", "catalog-service"):
                env["OPENAI_BASE_URL"] = f"http://127.0.0.1:{p['llm']}/v1"
        return env

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = (self.root / "logs" / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            argv, env=self.service_env(name), stdout=log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, *, timeout: float, only: list[str] | None = None) -> None:
        deadline = time.monotonic() + timeout
        simulators = [name for name in ("carrier", "model", "llm") if name in self.processes]
        pending = list(only or [*SERVICES, *simulators])
        with httpx.Client(timeout=2) as client:
            while pending:
                name = pending[0]
                proc = self.processes[name]
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}; see "
                                       f"{self.root / 'logs' / (name + '.log')}")
                try:
                    if name == "model":  # a websocket-only server: listening is ready
                        wait_for_port("127.0.0.1", self.ports[name], timeout=0.2)
                        pending.pop(0)
                        continue
                    probe = "/health" if name in ("carrier", "llm") else "/ready"
                    if client.get(f"{self.url(name)}{probe}").status_code == 200:
                        pending.pop(0)
                        continue
                except (httpx.HTTPError, TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} not ready after {timeout}s")
                time.sleep(0.2)

    def kill(self, name: str) -> None:
        """SIGKILL one process (a fault test's crash)."""
        proc = self.processes[name]
        proc.kill()
        proc.wait()

    def restart(self, name: str) -> None:
        if self.processes[name].poll() is None:
            stop_process(self.processes[name])
        if name == "model":
            self._spawn(name, [sys.executable, "-m", "ringbook_simulators.realtime",
                               "--port", str(self.ports["model"])])
        elif name == "llm":
            self._spawn(name, self._llm_argv())
        else:
            module = SERVICES[name][0] if name in SERVICES else "ringbook_simulators.carrier"
            self._spawn(name, [sys.executable, "-m", module])
        if name in SERVICES:
            self.wait_ready(timeout=60, only=[name])

    def stop(self) -> None:
        # SIGTERM everything at once (each drains in parallel), then wait for each.
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.processes.values():
            stop_process(proc, timeout=15)
        if self.nats is not None:
            self.nats.stop()
        if self.postgres is not None:
            self.postgres.stop()
