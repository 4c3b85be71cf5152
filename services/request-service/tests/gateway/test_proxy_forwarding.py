"""What the gateway forwards, and what comes back: method, path, query, body, the
user's credentials and the correlation id go upstream; status, headers and body come
back; hop-by-hop headers stop at the gateway; bodies stream both ways."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator

import httpx
from request_service.testing_upstream import StartGateway, Upstream
from ringbook_devtools.testing.waiting import eventually

MIB = 1024 * 1024


def headers_of(seen: dict[str, object]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in seen["headers"]:  # type: ignore[attr-defined]
        found.setdefault(name, []).append(value)
    return found


async def test_a_request_arrives_upstream_as_sent_and_its_answer_comes_back(
    start_gateway: StartGateway, upstream: Upstream,
) -> None:
    gateway = await start_gateway(catalog_service_url=upstream.url)
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        response = await client.post(
            "/api/tools/echo/a%20b/%C3%A9?x=1&y=%C3%A9&y=2", content=b'{"name": "Max"}',
            headers={"Authorization": "Bearer the-users-token", "X-Correlation-Id": "cid-7",
                     "Content-Type": "application/json", "X-API-Key": "k-1",
                     "Idempotency-Key": "i-1", "Proxy-Authorization": "Basic c2VjcmV0",
                     "X-Answer-Status": "201", "Connection": "keep-alive, x-client-hop",
                     "X-Client-Hop": "not for upstream", "X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 201, response.text
    assert response.json() == {"sha256": hashlib.sha256(b'{"name": "Max"}').hexdigest(),
                               "length": 15}
    assert response.headers["x-upstream"] == "stand-in"
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert response.headers.get_list("x-correlation-id") == ["cid-7"]
    for hop in ("x-upstream-hop", "keep-alive"):
        assert hop not in response.headers
    [seen] = upstream.seen
    assert seen["method"] == "POST"
    assert seen["raw_path"] == "/api/tools/echo/a%20b/%C3%A9"
    assert seen["query"] == "x=1&y=%C3%A9&y=2"
    sent = headers_of(seen)
    assert sent["authorization"] == ["Bearer the-users-token"]
    assert sent["x-correlation-id"] == ["cid-7"]
    assert sent["x-api-key"] == ["k-1"] and sent["idempotency-key"] == ["i-1"]
    assert sent["content-type"] == ["application/json"]
    # The gateway's server trusts its loopback peer as a proxy (uvicorn's default), so
    # the client is the chain's last entry, not appended twice.
    assert sent["x-forwarded-for"] == ["203.0.113.9"]
    assert sent["x-forwarded-proto"] == ["http"]
    assert sent["x-forwarded-host"] == [gateway.removeprefix("http://")]
    assert sent["host"] == [upstream.url.removeprefix("http://")]
    for hop in ("proxy-authorization", "x-client-hop"):
        assert hop not in sent
    assert "user-agent" in sent  # the client's own, not replaced by the gateway's


async def test_every_method_is_forwarded(
    start_gateway: StartGateway, upstream: Upstream,
) -> None:
    gateway = await start_gateway(catalog_service_url=upstream.url)
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        for method in methods:
            response = await client.request(method, "/api/tools/echo/x")
            assert response.status_code == 200, (method, response.text)
    assert [seen["method"] for seen in upstream.seen] == methods


async def test_a_correlation_id_is_made_up_when_the_client_sent_none(
    start_gateway: StartGateway, upstream: Upstream,
) -> None:
    gateway = await start_gateway(catalog_service_url=upstream.url)
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        response = await client.get("/api/tools/echo/x")
    [seen] = upstream.seen
    [sent] = headers_of(seen)["x-correlation-id"]
    assert sent and response.headers.get_list("x-correlation-id") == [sent]
    assert headers_of(seen)["x-forwarded-for"] == ["127.0.0.1"]


async def test_a_10_mib_body_streams_through_intact_chunked_or_with_a_length(
    start_gateway: StartGateway, upstream: Upstream,
) -> None:
    gateway = await start_gateway(catalog_service_url=upstream.url)
    body = os.urandom(10 * MIB)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 256 * 1024):
            yield body[start:start + 256 * 1024]

    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        streamed = await client.post("/api/tools/echo/upload", content=chunks(),
                                     headers={"Content-Type": "application/octet-stream"})
        declared = await client.put("/api/tools/echo/upload", content=body,
                                    headers={"Content-Type": "multipart/form-data; boundary=b"})
    expected = {"sha256": hashlib.sha256(body).hexdigest(), "length": len(body)}
    assert streamed.status_code == 200 and streamed.json() == expected
    assert declared.status_code == 200 and declared.json() == expected
    assert "transfer-encoding" in headers_of(upstream.seen[0])
    assert headers_of(upstream.seen[1])["content-length"] == [str(len(body))]


async def test_a_json_body_over_the_gateways_own_limit_is_forwarded_unparsed(
    start_gateway: StartGateway, upstream: Upstream,
) -> None:
    # MAX_BODY_BYTES (64 KiB) is the gateway's own routes' limit, not a forwarded one's.
    gateway = await start_gateway(catalog_service_url=upstream.url)
    body = b'{"text": "' + b"a" * MIB + b'"}'
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        response = await client.post("/api/tools/echo/big", content=body,
                                     headers={"Content-Type": "application/json"})
        own = await client.post("/api/auth/login", content=body,
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and response.json()["length"] == len(body)
    assert own.status_code == 413


async def test_a_body_over_the_proxy_limit_answers_413_declared_or_streamed(
    start_gateway: StartGateway, upstream: Upstream,
) -> None:
    gateway = await start_gateway(catalog_service_url=upstream.url, proxy_max_body_bytes=MIB)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b"x" * (256 * 1024)

    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        declared = await client.post("/api/tools/echo/upload", content=b"x" * (MIB + 1))
        streamed = await client.post("/api/tools/echo/upload", content=chunks())
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json() == {"error": "Request body too large"}
    assert all(seen["length"] <= MIB for seen in upstream.seen)  # never a whole one


async def test_a_streamed_answer_stops_upstream_when_the_client_leaves(
    start_gateway: StartGateway, upstream: Upstream,
) -> None:
    gateway = await start_gateway(catalog_service_url=upstream.url)
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as client, \
            client.stream("GET", "/api/tools/endless") as response:
        assert response.status_code == 200
        first = await anext(response.aiter_bytes())
        assert first.startswith(b"tick")
    # The client closed its connection: the gateway closes the upstream's in turn.
    await eventually(lambda: upstream.streams_ended == 1, what="the upstream stream ended")
