"""GET /api/requests/{id}/stream over a real socket: the backlog, then live entries as
the projection commits them, resumable with Last-Event-ID, cleaned up on disconnect."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
from request_service.testing import Api, Bus, User, wait_until
from ringbook.contracts.calls import CallConnected, CallStarted


class SseReader:
    """Parses ``text/event-stream`` lines into events (ignoring keep-alive comments)."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()

    async def next(self, within: float = 10.0) -> dict[str, Any]:
        return await asyncio.wait_for(self._next(), within)

    async def _next(self) -> dict[str, Any]:
        event: dict[str, Any] = {}
        async for line in self._lines:
            if not line:
                if "data" in event:
                    return event
                event = {}
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            event[field] = orjson.loads(value) if field == "data" else value
        raise AssertionError("stream ended")


@contextlib.asynccontextmanager
async def open_stream(
    url: str, path: str, headers: dict[str, str] | None = None
) -> AsyncIterator[tuple[httpx.Response, SseReader]]:
    async with httpx.AsyncClient(base_url=url, timeout=10) as client, client.stream(
        "GET", path, headers=headers or {}
    ) as response:
        yield response, SseReader(response)


def call_started(bus: Bus, user: User, request_id: Any, version: int = 1) -> Any:
    data = CallStarted(attempt=1, call_sid="CA1", number="+49987654321")
    return bus.call_event(data, request_id=request_id, version=version, tenant_id=user.tenant_id)


async def test_backlog_then_live_entries(api: Api, bus: Bus, live_url: str) -> None:
    user = await api.register()
    request_id = await api.new_request(user)
    hub = api.app.state.gateway.hub
    async with open_stream(live_url, f"/api/requests/{request_id}/stream", user.headers) as (
        response,
        reader,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        first = await reader.next()
        assert first["event"] == "timeline"
        assert first["data"] == {
            "type": "request_received",
            "message": "Request received: Zahnarzttermin buchen",
            "created_at": "2025-11-24T09:00:00+00:00",
            "status": "queued",
        }
        assert hub.subscriber_count == 1

        await bus.publish(call_started(bus, user, request_id))
        live = await reader.next()
        assert live["data"]["type"] == "call_started" and live["data"]["status"] == "calling"
        assert int(live["id"]) > int(first["id"])

        await bus.publish(
            bus.call_event(CallConnected(attempt=1, call_sid="CA1"), request_id=request_id,
                           version=2, tenant_id=user.tenant_id)
        )
        third = await reader.next()
        assert third["data"]["status"] == "in_progress"
        assert int(third["id"]) > int(live["id"])

    async def unsubscribed() -> bool:
        return hub.subscriber_count == 0

    # The client went away: its subscription (and the task serving it) are gone.
    await wait_until(unsubscribed, what="subscription removed")


async def test_last_event_id_resumes_and_query_token_authenticates(
    api: Api, bus: Bus, live_url: str
) -> None:
    user = await api.register()
    request_id = await api.new_request(user)
    await bus.publish(call_started(bus, user, request_id))

    async def calling() -> bool:
        return (await api.get(user, request_id))["status"] == "calling"

    await wait_until(calling)
    await api.client.post(f"/api/requests/{request_id}/cancel", headers=user.headers)
    path = f"/api/requests/{request_id}/stream?access_token={user.token}"
    async with open_stream(live_url, path) as (response, reader):
        assert response.status_code == 200
        events = [await reader.next() for _ in range(3)]
    assert [e["data"]["type"] for e in events] == [
        "request_received", "call_started", "request_canceled",
    ]
    assert [e["data"]["status"] for e in events] == ["queued", "calling", "canceled"]

    async with open_stream(live_url, path, {"Last-Event-ID": events[0]["id"]}) as (_, reader):
        resumed = [await reader.next(), await reader.next()]
    assert [e["id"] for e in resumed] == [events[1]["id"], events[2]["id"]]


async def test_stream_refuses_strangers(api: Api, live_url: str) -> None:
    owner, other = await api.register(), await api.register()
    request_id = await api.new_request(owner)
    async with httpx.AsyncClient(base_url=live_url, timeout=10) as client:
        path = f"/api/requests/{request_id}/stream"
        assert (await client.get(path)).status_code == 401
        assert (await client.get(f"{path}?access_token=garbage")).status_code == 401
        response = await client.get(path, headers=other.headers)
        assert response.status_code == 404
        assert response.json() == {"error": "Request not found"}


async def test_one_listener_per_process_survives_losing_its_connection(
    api: Api, bus: Bus, live_url: str
) -> None:
    user = await api.register()
    first, second = await api.new_request(user), await api.new_request(user)
    hub = api.app.state.gateway.hub
    schema = api.runtime.settings.schema_name
    listeners = (
        "select pid from pg_stat_activity where query like 'LISTEN%'"
        f" and query like '%request_timeline_{schema}%'"
    )
    async with (
        open_stream(live_url, f"/api/requests/{first}/stream", user.headers) as (_, reader_a),
        open_stream(live_url, f"/api/requests/{first}/stream", user.headers) as (_, reader_b),
        open_stream(live_url, f"/api/requests/{second}/stream", user.headers) as (_, reader_c),
    ):
        for reader in (reader_a, reader_b, reader_c):
            await reader.next()
        assert hub.subscriber_count == 3
        pids = [r["pid"] for r in await api.runtime.pool.fetch(listeners)]
        assert len(pids) == 1  # three streams, one LISTEN connection

        # The listener's connection dies (failover, idle timeout): it reconnects, and
        # entries committed meanwhile still reach every stream.
        await api.runtime.pool.execute("select pg_terminate_backend($1)", pids[0])
        await bus.publish(call_started(bus, user, first))
        await bus.publish(call_started(bus, user, second))
        for reader in (reader_a, reader_b, reader_c):
            assert (await reader.next())["data"]["type"] == "call_started"
        assert len(await api.runtime.pool.fetch(listeners)) == 1


async def test_a_last_event_id_we_never_issued_restarts_the_stream(
    api: Api, live_url: str
) -> None:
    # "²" and "١٢" pass str.isdigit; 2**63 and more fit no bigint seq. EventSource gives
    # up on any answer but 200, so each must restart the stream, never fail it.
    user = await api.register()
    request_id = await api.new_request(user)
    url = f"{live_url}/api/requests/{request_id}/stream"
    for raw in (b"\xb2", "١٢".encode(), b"9" * 19, b"9" * 40, b"-1", b"0x1", b"\xed\xa0\x80"):
        headers = [(b"authorization", user.headers["Authorization"].encode()),
                   (b"last-event-id", raw)]
        async with httpx.AsyncClient(timeout=10) as client, client.stream(
            "GET", url, headers=headers
        ) as response:
            assert response.status_code == 200, (raw, await response.aread())
            first = await SseReader(response).next()
        assert first["data"]["type"] == "request_received", raw
