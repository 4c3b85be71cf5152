"""One benchmark run against the whole system: the system started in a temporary
directory (durable Postgres: fsync on, as in production), stopped however the run
ends (SIGTERM included, like Ctrl-C), and its logs kept for a run that failed."""

from __future__ import annotations

import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ringbook_devtools.system import LocalSystem


@dataclass
class BenchSession:
    root: Path
    system: LocalSystem
    keep_logs: bool = True  # the run sets it False once every answer was as expected


@contextmanager
def system_session(name: str, env: dict[str, str] | None = None) -> Iterator[BenchSession]:
    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    root = Path(tempfile.mkdtemp(prefix=f"ringbook-bench-{name}-"))
    session = BenchSession(root, LocalSystem(root=root / "system", env=dict(env or {}),
                                             random_ports=True, durable=True))
    try:
        print("» starting the system", file=sys.stderr, flush=True)
        session.system.start()
        yield session
    finally:
        print("» stopping", file=sys.stderr, flush=True)
        session.system.stop()
        if session.keep_logs:
            print(f"» logs kept in {root}", file=sys.stderr, flush=True)
        else:
            shutil.rmtree(root, ignore_errors=True)
