"""The gateway forwards other services' public paths (``gateway_routes``): the request
arrives as sent (method, path, query, body, bearer, correlation id), the answer comes
back as given, and an upstream that is down or silent is answered as JSON 502/504
instead of a hang. The upstream here is a real HTTP server on a loopback port."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from request_service.entrypoints.app import create_app
from request_service.gateway_routes import forwarded, owner_of
from request_service.settings import RequestServiceSettings
from request_service.testing import Api
from ringbook.clock import FakeClock
from ringbook_devtools.testing.waiting import eventually


def echo_app(seen: list[dict[str, Any]]) -> FastAPI:
    upstream = FastAPI()

    @upstream.api_route("/api/analytics/{rest:path}", methods=["GET", "POST", "PUT", "DELETE"])
    async def echo(rest: str, request: Request) -> JSONResponse:
        body = await request.body()
        seen.append({"method": request.method, "path": request.url.path,
                     "query": request.url.query, "size": len(body), "tail": body[-8:],
                     "headers": dict(request.headers)})
        return JSONResponse({"echo": rest, "size": len(body)}, status_code=207,
                            headers={"X-Upstream": "analytics"})

    return upstream


async def serve(app: FastAPI) -> AsyncIterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_config=None,
                                           access_log=False, timeout_graceful_shutdown=2))
    task = asyncio.create_task(server.serve(sockets=[sock]))

    async def started() -> bool:
        return server.started

    await eventually(started, what="upstream started")
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    async for url in serve(echo_app(seen)):
        yield url, seen


async def gateway_to(settings: RequestServiceSettings, clock: FakeClock,
                     analytics_url: str) -> AsyncIterator[Api]:
    application = create_app(settings.model_copy(update={
        "analytics_service_url": analytics_url, "proxy_read_seconds": 1.0,
        "proxy_connect_seconds": 1.0}), clock)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Api(client, application)


def test_the_route_table_matches_whole_segments() -> None:
    assert owner_of("/api/analytics") == "analytics-service"
    assert owner_of("/api/analytics/requests-per-day") == "analytics-service"
    assert owner_of("/api/analyticsX") is None
    assert owner_of("/token") == "request-service"
    assert owner_of("/internal/business-hours/x") is None
    assert "/api/analytics" in forwarded()["analytics-service"]


async def test_a_forwarded_request_arrives_as_sent_and_its_answer_comes_back(
    settings: RequestServiceSettings, clock: FakeClock,
    upstream: tuple[str, list[dict[str, Any]]], fresh_streams: None,
) -> None:
    url, seen = upstream
    body = b"x" * (60 * 1024) + b"THE-END!"  # within the gateway's MAX_BODY_BYTES
    async for api in gateway_to(settings, clock, url):
        response = await api.client.put(
            "/api/analytics/some/thing?days=7&x=%C3%BC", content=body,
            headers={"Authorization": "Bearer tok-123", "X-Correlation-Id": "corr-1"})
        assert response.status_code == 207, response.text
        assert response.json() == {"echo": "some/thing", "size": len(body)}
        assert response.headers["x-upstream"] == "analytics"
    [arrived] = seen
    assert (arrived["method"], arrived["path"]) == ("PUT", "/api/analytics/some/thing")
    assert arrived["query"] == "days=7&x=%C3%BC"
    assert (arrived["size"], arrived["tail"]) == (len(body), b"THE-END!")
    assert arrived["headers"]["authorization"] == "Bearer tok-123"
    assert arrived["headers"]["x-correlation-id"] == "corr-1"
    assert arrived["headers"]["x-forwarded-proto"] == "http"


async def test_an_unreachable_upstream_answers_502_json(
    settings: RequestServiceSettings, clock: FakeClock, fresh_streams: None,
) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()  # nothing listens there now
    async for api in gateway_to(settings, clock, closed):
        response = await api.client.get("/api/analytics/requests-per-day")
    assert response.status_code == 502
    assert response.json() == {"error": "The service is unreachable",
                               "details": {"service": "analytics-service"}}


async def test_a_silent_upstream_answers_504_json_within_the_read_timeout(
    settings: RequestServiceSettings, clock: FakeClock, fresh_streams: None,
) -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def never_answer(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # keep the connection open and say nothing

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async for api in gateway_to(settings, clock, f"http://127.0.0.1:{port}"):
            async with asyncio.timeout(10):  # a hang would fail here, not pass
                response = await api.client.get("/api/analytics/requests-per-day")
    finally:
        for writer in accepted:
            writer.close()
        server.close()
    assert accepted, "the gateway never reached the upstream"
    assert response.status_code == 504
    assert response.json()["error"] == "The service did not answer in time"


async def test_token_is_seed_001s_login_and_answers_like_api_auth_login(api: Api) -> None:
    user = await api.register(password="correct horse")
    body = {"email": user.email, "password": "correct horse"}
    token = await api.client.post("/token", json=body)
    login = await api.client.post("/api/auth/login", json=body)
    assert token.status_code == login.status_code == 200
    assert token.json()["user"] == login.json()["user"]
    assert api.runtime.tokens.verify(token.json()["token"]).user_id == user.id
    wrong = {"email": user.email, "password": "wrong"}
    refused = await api.client.post("/token", json=wrong)
    assert refused.status_code == 401
    assert refused.json() == (await api.client.post("/api/auth/login", json=wrong)).json()
