"""Small helpers for child processes and ports."""

from __future__ import annotations

import random
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    return free_ports(1)[0]


# Listening ports are drawn from below the kernel's ephemeral range: a port the kernel
# hands out for binding port 0 is one it may also give, a moment later, to any outgoing
# connection of any process (a test's httpx, asyncpg, nats), and the server that was to
# listen there then fails with "address already in use" (seen: media-bridge, in the
# Postgres outage e2e test, with the whole suite running beside it).
_LISTEN_PORTS = range(20_000, 32_768)
_EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")


def _listen_range() -> range:
    try:
        low = int(_EPHEMERAL.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return _LISTEN_PORTS
    top = min(_LISTEN_PORTS.stop, low)
    return range(_LISTEN_PORTS.start, top) if top - _LISTEN_PORTS.start >= 1000 else _LISTEN_PORTS


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports to listen on, outside the ephemeral range. Every socket
    stays bound until all are chosen, so none repeats (one at a time, the kernel gave NATS
    the port it had just given request-service)."""
    candidates = random.sample(_listen_range(), k=min(count * 20, 2000))
    sockets: list[socket.socket] = []
    try:
        for port in candidates:
            if len(sockets) == count:
                break
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            sockets.append(s)
        if len(sockets) < count:
            raise RuntimeError(f"no {count} free ports to listen on in {_listen_range()}")
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        # As the servers themselves do: connections in TIME_WAIT do not block a listener.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def wait_for_port(
    host: str, port: int, *, timeout: float, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


def stop_process(proc: subprocess.Popen[bytes], *, timeout: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)
