"""An open-loop generator on raw asyncio sockets, for rates httpx cannot reach cheaply.

Sends are scheduled at fixed intervals whatever the answers do (no coordinated omission:
a send that waits for a free connection is counted late, and its latency is taken from
its due time). Requests are pre-rendered HTTP/1.1 bytes with a fresh ``request_id``;
answers are parsed only as far as the status line and ``content-length``. On uvloop this
costs a fraction of what httpx costs per request, which matters on a 2-core machine
whose other core runs the system being measured.

Wall-clock times (``time.time``) are returned, so the parent can match them with the
times at which it saw each request's timeline reach ``scheduled`` in Postgres.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from benchmarks.loadgen import PATH, User, body_for

MAX_CONNECTIONS = 256


def _content_length(head: bytes) -> int:
    at = head.find(b"\r\ncontent-length:")
    if at < 0:
        return 0
    end = head.find(b"\r\n", at + 2)
    return int(head[at + 17:end if end > 0 else None])


class _Connection(asyncio.Protocol):
    """One keep-alive connection, one request in flight at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None:
            return
        head = bytes(self.buffer[:end]).lower()
        length = _content_length(head)
        if len(self.buffer) < end + 4 + length:
            return
        status = int(head[9:12])
        del self.buffer[:end + 4 + length]
        waiter, self.waiter = self.waiter, None
        if not waiter.done():
            waiter.set_result(status)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection lost"))
        self.transport = None

    async def exchange(self, raw: bytes) -> int:
        if self.transport is None:
            raise ConnectionError("not connected")
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.waiter


@dataclass(frozen=True)
class RatePhase:
    base_url: str
    users: tuple[User, ...]
    rate: float
    duration: float
    number: str
    timeout: float = 10.0


def _render(host: str, user: User, number: str) -> tuple[str, bytes]:
    body = body_for(user, number)
    data = json.dumps(body, ensure_ascii=False).encode()
    head = (f"POST {PATH} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n"
            f"authorization: Bearer {user.token}\r\ncontent-length: {len(data)}\r\n\r\n")
    return str(body["request_id"]), head.encode() + data


async def open_loop(phase: RatePhase) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    url = urlsplit(phase.base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    idle: deque[_Connection] = deque()
    opened = 0
    sent: dict[str, float] = {}  # request_id -> due time (wall clock) of its 202s
    latencies_ms: list[float] = []
    late_ms: list[float] = []
    outcomes: Counter[str] = Counter()

    async def connection() -> _Connection:
        nonlocal opened
        while idle:
            conn = idle.popleft()
            if conn.transport is not None:
                return conn
        opened += 1
        _, conn = await loop.create_connection(_Connection, host, port)
        return conn

    async def one(due_wall: float, due: float) -> None:
        request_id, raw = _render(f"{host}:{port}", phase.users[len(sent) % len(phase.users)],
                                  phase.number)
        try:
            conn = await connection()
            late_ms.append((time.perf_counter() - due) * 1000)
            status = await asyncio.wait_for(conn.exchange(raw), phase.timeout)
        except (OSError, TimeoutError) as exc:
            outcomes[type(exc).__name__] += 1
            return
        latencies_ms.append((time.perf_counter() - due) * 1000)
        outcomes[str(status)] += 1
        if status == 202:
            sent[request_id] = due_wall
        if opened <= MAX_CONNECTIONS:
            idle.append(conn)

    total = int(phase.rate * phase.duration)
    tasks: set[asyncio.Task[None]] = set()
    start, start_wall = time.perf_counter() + 0.05, time.time() + 0.05
    for i in range(total):
        offset = i / phase.rate
        await asyncio.sleep(max(0.0, start + offset - time.perf_counter()))
        task = asyncio.create_task(one(start_wall + offset, start + offset))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    while tasks:
        await asyncio.wait(set(tasks), timeout=phase.timeout + 5)
    for conn in idle:
        if conn.transport is not None:
            conn.transport.close()
    return {"sent": total, "accepted": sent, "latencies_ms": latencies_ms, "late_ms": late_ms,
            "outcomes": dict(outcomes), "connections": opened,
            "elapsed_s": time.perf_counter() - start}


def run_rate_phase(phase: RatePhase) -> dict[str, Any]:
    """Entry point in the generator's own process (uvloop when installed)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(open_loop(phase))
    return uvloop.run(open_loop(phase))
