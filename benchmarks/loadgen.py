"""The load generator. It runs in its own (spawned) process so that its CPU is not
accounted to, or starved by, the measuring parent; the servers are separate processes.

Two shapes of load, both against ``POST /api/process-request`` on 127.0.0.1:

* closed loop: N asyncio tasks, each with its own keep-alive ``httpx.AsyncClient``,
  sending back to back for a fixed time (throughput and latency under saturation);
* open loop: sends scheduled at fixed intervals whatever the responses do, latency
  taken from the moment each send starts; how late sends started against their
  schedule is reported too, so a generator that fell behind (the only way an open loop
  can omit load) is visible. Optionally each accepted request is followed to
  ``call_started`` (see :mod:`benchmarks.follow`).

Every duration is taken with ``time.perf_counter``: uvloop's ``loop.time()`` ticks in
whole milliseconds, too coarse for a loopback round trip.

Results come back as plain, picklable dicts.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass
from time import perf_counter
from typing import Any

import httpx

from benchmarks.follow import Follower

PATH = "/api/process-request"
# A number the simulated carrier answers (any number without a special scenario).
# The closed loop dials the simulated busy line (one attempt, no media): it measures the
# gateway's durable accept with the pipeline behind it running, without the simulator's
# per-call media streaming (which is not Ringbook's work) eating the two cores. The open
# loop calls a number that answers, so call_started follows a real answered call.
BUSY_NUMBER = "+49 30 5550101"
ANSWERING_NUMBER = "+49 30 5550123"
REQUEST_TIMEOUT = 10.0
# Hard cap per closed-loop client, so a loop is bounded by count as well as by time.
MAX_PER_CLIENT_PER_SECOND = 2000


@dataclass(frozen=True)
class User:
    id: str
    token: str


@dataclass(frozen=True)
class ClosedLoop:
    base_url: str
    users: tuple[User, ...]
    concurrency: int
    duration: float
    warmup_per_client: int = 2
    number: str = BUSY_NUMBER


@dataclass(frozen=True)
class OpenLoop:
    base_url: str
    users: tuple[User, ...]
    rate: float
    duration: float
    follow: bool = False  # follow each accepted request to call_started
    call_window: float = 30.0
    number: str = ANSWERING_NUMBER


def body_for(user: User, number: str) -> dict[str, Any]:
    """The seed-000 body of tests/e2e/support.py, with a fresh request_id."""
    return {
        "request_id": str(uuid.uuid4()),
        "user_id": user.id,
        "title": "Zahnarzttermin buchen",
        "description": "Ich brauche einen Termin für eine Zahnreinigung",
        "callback_number": "+49 170 1234567",
        "number_to_call": number,
        "preferred_time": "nächste Woche, Montag 10-12 Uhr",
        "user_profile": {"username": "Max Mustermann", "street": "Musterstraße",
                         "house_number": "123", "postal_code": "10115", "city": "Berlin",
                         "country": "Germany"},
    }


class Tally:
    """Latencies of 202s plus counts of everything else, by status or error type."""

    def __init__(self) -> None:
        self.latencies_ms: list[float] = []
        self.statuses: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()

    def as_dict(self) -> dict[str, Any]:
        return {"latencies_ms": self.latencies_ms, "accepted": len(self.latencies_ms),
                "non_202": dict(self.statuses), "errors": dict(self.errors)}


async def post(
    client: httpx.AsyncClient, user: User, number: str
) -> tuple[int | str, str]:
    """(status code or error type name, request_id)."""
    body = body_for(user, number)
    try:
        response = await client.post(
            PATH, json=body, headers={"Authorization": f"Bearer {user.token}"})
    except httpx.HTTPError as exc:
        return type(exc).__name__, body["request_id"]
    return response.status_code, body["request_id"]


def record(tally: Tally, outcome: int | str, latency_ms: float) -> None:
    if outcome == 202:
        tally.latencies_ms.append(latency_ms)
    elif isinstance(outcome, int):
        tally.statuses[str(outcome)] += 1
    else:
        tally.errors[outcome] += 1


async def closed_loop(spec: ClosedLoop) -> dict[str, Any]:
    tally = Tally()
    ready, go = asyncio.Event(), asyncio.Event()
    warmed = 0
    window = {"start": 0.0, "deadline": 0.0}
    limit = int(spec.duration * MAX_PER_CLIENT_PER_SECOND)

    async def client_task(user: User) -> None:
        nonlocal warmed
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=spec.base_url, limits=limits,
                                     timeout=REQUEST_TIMEOUT) as client:
            # Warm-up opens the keep-alive connection and any lazy server paths; the
            # clock starts only when every client is warm.
            for _ in range(spec.warmup_per_client):
                await post(client, user, spec.number)
            warmed += 1
            if warmed == spec.concurrency:
                ready.set()
            await go.wait()
            for _ in range(limit):
                started = perf_counter()
                if started >= window["deadline"]:
                    break
                outcome, _ = await post(client, user, spec.number)
                record(tally, outcome, (perf_counter() - started) * 1000)

    users = [spec.users[i % len(spec.users)] for i in range(spec.concurrency)]
    tasks = [asyncio.create_task(client_task(u)) for u in users]
    try:
        await asyncio.wait_for(ready.wait(), timeout=60)
    except TimeoutError:
        tally.errors["warmup-timeout"] += 1
    window["start"] = perf_counter()
    window["deadline"] = window["start"] + spec.duration
    go.set()
    await asyncio.wait_for(asyncio.gather(*tasks),
                           timeout=spec.duration + REQUEST_TIMEOUT + 60)
    elapsed = perf_counter() - window["start"]
    return {**tally.as_dict(), "elapsed_s": elapsed,
            "sent": len(tally.latencies_ms) + tally.statuses.total() + tally.errors.total()}


async def open_loop(spec: OpenLoop) -> dict[str, Any]:
    tally = Tally()
    lag_ms: list[float] = []
    total = int(spec.rate * spec.duration)
    follower = Follower(spec.base_url, spec.call_window, total) if spec.follow else None
    users_by_request: dict[str, User] = {}
    # Enough connections that a slow response never delays the next scheduled send.
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=spec.base_url, limits=limits,
                                 timeout=REQUEST_TIMEOUT) as client:
        for user in spec.users[:3]:  # warm-up, not measured
            await post(client, user, spec.number)

        async def send(i: int, due: float) -> None:
            user = spec.users[i % len(spec.users)]
            started = perf_counter()
            lag_ms.append((started - due) * 1000)
            outcome, request_id = await post(client, user, spec.number)
            now = perf_counter()
            record(tally, outcome, (now - started) * 1000)
            if outcome == 202 and follower is not None:
                users_by_request[request_id] = user
                follower.start(request_id, user, now)

        start = perf_counter() + 0.1
        tasks: list[asyncio.Task[None]] = []
        for i in range(total):
            due = start + i / spec.rate
            await asyncio.sleep(max(0.0, due - perf_counter()))
            tasks.append(asyncio.create_task(send(i, due)))
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=REQUEST_TIMEOUT + 30)
        result: dict[str, Any] = {**tally.as_dict(), "sent": total, "schedule_lag_ms": lag_ms,
                                  "elapsed_s": perf_counter() - start}
    if follower is not None:
        result["calls"] = await follower.finish(users_by_request)
    return result


def run_phase(spec: ClosedLoop | OpenLoop) -> dict[str, Any]:
    """Entry point in the generator process: one phase, on uvloop when available
    (it costs the generator less CPU, leaving more for the servers)."""
    coro = closed_loop(spec) if isinstance(spec, ClosedLoop) else open_loop(spec)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)
