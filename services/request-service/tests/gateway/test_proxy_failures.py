"""An upstream that fails never makes the gateway hang or answer a 5xx without the JSON
error body: refused is 502, silent is 504, a response cut mid-body ends, a circuit
opened by repeated failures or a pool with no free connection is 503 with Retry-After."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from prometheus_client import REGISTRY
from request_service.testing_upstream import (
    StartGateway,
    Upstream,
    never_answers,
    raw_server,
    resets_mid_body,
    serving,
    stand_in_app,
    unused_url,
)
from ringbook.clock import FakeClock
from ringbook_devtools.testing.waiting import eventually


def proxied_count(upstream: str, status: int) -> float:
    value = REGISTRY.get_sample_value("ringbook_gateway_proxied_requests_total",
                                      {"upstream": upstream, "status": str(status)})
    return value or 0.0


async def test_an_upstream_that_refuses_connections_answers_502_json(
    start_gateway: StartGateway,
) -> None:
    gateway = await start_gateway(analytics_service_url=unused_url())
    before = proxied_count("analytics-service", 502)
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        response = await client.get("/api/analytics/requests-per-day")
    assert response.status_code == 502
    assert response.json() == {"error": "Upstream service unavailable", "details": {
        "service": "analytics-service", "problem": "connection refused or unreachable"}}
    assert proxied_count("analytics-service", 502) == before + 1


async def test_an_upstream_that_never_answers_is_504_json_after_the_read_timeout(
    start_gateway: StartGateway,
) -> None:
    async with raw_server(never_answers) as silent:
        gateway = await start_gateway(catalog_service_url=silent,
                                      proxy_read_timeout_seconds=0.5)
        async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
            response = await client.post("/api/tools", json={"name": "x"})
    assert response.status_code == 504
    assert response.json() == {  # /api/tools is seed 001's: its errors say success false
        "success": False, "error": "Upstream service did not answer in time",
        "details": {"service": "catalog-service",
                    "problem": "no answer within the read timeout"}}


async def test_the_gateways_own_errors_keep_each_paths_error_shape(
    start_gateway: StartGateway,
) -> None:
    gateway = await start_gateway(catalog_service_url=unused_url())
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        assistants = await client.get("/api/assistants/")
        clients = await client.get("/api/clients")
    assert assistants.status_code == clients.status_code == 502
    assert assistants.json()["success"] is False  # seed 001's envelope
    assert "success" not in clients.json()  # seed 002's {"error": ...}
    assert clients.json()["error"] == "Upstream service unavailable"


async def test_an_upstream_that_resets_mid_body_ends_the_response(
    start_gateway: StartGateway,
) -> None:
    async with raw_server(resets_mid_body) as resetting:
        gateway = await start_gateway(catalog_service_url=resetting)
        async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
            async with client.stream("GET", "/api/files/f-1/content") as response:
                assert response.status_code == 200
                assert response.headers["content-length"] == "100000"
                received = bytearray()
                # The body's end never comes: the connection closes short of it (a
                # hang would be httpx.ReadTimeout here, after the client's 10 s).
                with pytest.raises(httpx.RemoteProtocolError):
                    async for chunk in response.aiter_raw():
                        received.extend(chunk)
    assert 0 < len(received) < 100000


async def test_repeated_failures_open_the_circuit_then_it_closes_after_its_period(
    start_gateway: StartGateway, clock: FakeClock,
) -> None:
    url = unused_url()
    gateway = await start_gateway(catalog_service_url=url, proxy_circuit_failures=2,
                                  proxy_circuit_open_seconds=5)
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        statuses = [(await client.get("/api/tools/t-1")).status_code for _ in range(2)]
        assert statuses == [502, 502]
        # The upstream is back, on the very port; the open circuit does not try it.
        stand_in = Upstream()
        port = int(url.rsplit(":", 1)[1])
        async with serving(stand_in_app(stand_in), port=port):
            refused = await client.get("/api/tools/t-1")
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "5"
            assert refused.json()["details"]["problem"] == "circuit open after repeated failures"
            clock.advance(timedelta(seconds=5))
            answered = await client.get("/api/tools/t-1")
    assert answered.status_code == 200 and answered.json() == {"id": "t-1"}


async def test_no_free_upstream_connection_is_503_with_retry_after(
    start_gateway: StartGateway, upstream: Upstream,
) -> None:
    gateway = await start_gateway(catalog_service_url=upstream.url, proxy_max_connections=1,
                                  proxy_pool_timeout_seconds=0.2)
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        held = asyncio.create_task(client.get("/api/tools/hold"))
        await eventually(lambda: proxied_in_flight(upstream), what="the held request upstream")
        crowded = await client.get("/api/tools/t-2")
        upstream.release.set()
        released = await held
    assert crowded.status_code == 503
    assert crowded.headers["retry-after"] == "1"
    assert crowded.json()["details"]["problem"] == "the gateway has no free connection"
    assert released.status_code == 200 and released.json() == {"held": "released"}


def proxied_in_flight(upstream: Upstream) -> bool:
    return upstream.holding > 0
