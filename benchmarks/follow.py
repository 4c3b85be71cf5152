"""From a 202 to ``call_started``, measured two ways.

Primary, client clock: right after each 202 the generator opens the request's SSE
timeline (``GET /api/requests/{id}/stream?access_token=...``) and notes when the
``call_started`` entry arrives. The stream replays the timeline first, so an event that
happened before the stream connected still arrives, just a little late: this method
can only overstate the latency, never understate it.

Cross-check, server clocks: once the window is over, each request's timeline is read
and ``call_started.created_at - request_received.created_at`` taken (both stamped on
this machine). It is what the report falls back to if SSE proves unreliable.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from time import perf_counter
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from benchmarks.loadgen import User

TARGET = "call_started"


class Follower:
    """Follows each accepted request on its own SSE stream, concurrently with the load
    (the streams are part of the gateway's load in that phase, as with real clients)."""

    def __init__(self, base_url: str, window: float, expected: int) -> None:
        self.window = window
        # One connection per live stream: an SSE response occupies its connection.
        limits = httpx.Limits(max_connections=min(expected + 16, 2000),
                              max_keepalive_connections=16)
        self.client = httpx.AsyncClient(base_url=base_url, limits=limits,
                                        timeout=httpx.Timeout(10.0, read=window + 5))
        self.calls: list[dict[str, Any]] = []
        self.tasks: list[asyncio.Task[None]] = []

    def start(self, request_id: str, user: User, accepted_at: float) -> None:
        call: dict[str, Any] = {"request_id": request_id, "sse_ms": None, "sse_error": None,
                                "timeline_ms": None}
        self.calls.append(call)
        self.tasks.append(asyncio.create_task(self._stream(call, user, accepted_at)))

    async def _stream(self, call: dict[str, Any], user: User, accepted_at: float) -> None:
        url = f"/api/requests/{call['request_id']}/stream"
        try:
            # Bounded by time: the window counts from the 202, not from the connect.
            async with asyncio.timeout(accepted_at + self.window - perf_counter()):
                async with self.client.stream(
                    "GET", url, params={"access_token": user.token}
                ) as response:
                    if response.status_code != 200:
                        call["sse_error"] = f"http {response.status_code}"
                        return
                    async for line in response.aiter_lines():
                        if not line.startswith("data:"):
                            continue  # comments (pings), event names, ids
                        try:
                            event = json.loads(line[5:])
                        except ValueError:
                            continue
                        if isinstance(event, dict) and event.get("type") == TARGET:
                            call["sse_ms"] = (perf_counter() - accepted_at) * 1000
                            return
                    call["sse_error"] = "stream ended"
        except TimeoutError:
            call["sse_error"] = "timeout"
        except httpx.HTTPError as exc:
            call["sse_error"] = type(exc).__name__

    async def finish(self, users_by_request: dict[str, User]) -> list[dict[str, Any]]:
        # Every stream is bounded by its own window; this outer bound is belt and braces.
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=self.window + 15)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self._timelines(users_by_request)
        await self.client.aclose()
        return self.calls

    async def _timelines(self, users_by_request: dict[str, User]) -> None:
        gate = asyncio.Semaphore(8)

        async def one(call: dict[str, Any]) -> None:
            user = users_by_request[call["request_id"]]
            async with gate:
                try:
                    response = await self.client.get(
                        f"/api/requests/{call['request_id']}",
                        headers={"Authorization": f"Bearer {user.token}"}, timeout=10)
                except httpx.HTTPError:
                    return
            if response.status_code == 200:
                call["timeline_ms"] = timeline_latency_ms(response.json())

        await asyncio.wait_for(asyncio.gather(*(one(c) for c in self.calls)), timeout=120)


def timeline_latency_ms(request: dict[str, Any]) -> float | None:
    """``call_started`` minus ``request_received``, from the timeline's own stamps."""
    stamps: dict[str, datetime] = {}
    for entry in request.get("timeline", []):
        kind = entry.get("type")
        if kind in ("request_received", TARGET) and kind not in stamps:
            stamps[kind] = datetime.fromisoformat(entry["created_at"])
    if "request_received" not in stamps or TARGET not in stamps:
        return None
    return (stamps[TARGET] - stamps["request_received"]).total_seconds() * 1000
