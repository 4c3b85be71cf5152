"""Forwarding the public paths of other services (``gateway_routes``) to them.

The request goes on as it came (method, path, query, body streamed, the bearer and the
correlation id), minus hop-by-hop headers (RFC 9110 §7.6.1), plus ``X-Forwarded-*``;
the answer comes back streamed. The upstream verifies the token itself: it is reachable
directly too, so it never trusts the gateway to have checked.

When the upstream fails, the client gets a JSON answer, never a hang: refused or
unreachable → 502; no answer within the timeouts → 504; no free connection in the pool
→ 503 with Retry-After.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from ringbook.logging import get_logger
from ringbook.web.errors import error_body
from starlette.background import BackgroundTask

from request_service.entrypoints.dependencies import GatewayDep
from request_service.gateway_routes import forwarded

log = get_logger(__name__)

HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
    "trailer", "transfer-encoding", "upgrade", "host", "content-length",
})
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _request_headers(request: Request) -> dict[str, str]:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
    client = request.client.host if request.client else ""
    prior = request.headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{prior}, {client}" if prior else client
    headers["x-forwarded-proto"] = request.url.scheme
    headers["x-forwarded-host"] = request.headers.get("host", "")
    return headers


def _failure(status: int, message: str, upstream: str) -> JSONResponse:
    headers = {"Retry-After": "2"} if status == 503 else None
    return JSONResponse(error_body(message, {"service": upstream}), status_code=status,
                        headers=headers)


async def forward(request: Request, gateway: GatewayDep) -> Response:
    service = request.scope["route"].name.removeprefix("proxy:")
    base = gateway.upstreams[service]
    client = gateway.http
    url = httpx.URL(base + request.url.path, query=request.url.query.encode())

    async def body() -> AsyncIterator[bytes]:
        async for chunk in request.stream():
            yield chunk

    has_body = request.method in ("POST", "PUT", "PATCH", "DELETE")
    upstream_request = client.build_request(
        request.method, url, headers=_request_headers(request),
        content=body() if has_body else None)
    try:
        upstream = await client.send(upstream_request, stream=True)
    except httpx.PoolTimeout:
        return _failure(503, "Service busy, please retry", service)
    except httpx.TimeoutException:
        log.warning("proxy_timeout", service=service, path=request.url.path)
        return _failure(504, "The service did not answer in time", service)
    except httpx.HTTPError as exc:
        log.warning("proxy_unreachable", service=service, error=type(exc).__name__)
        return _failure(502, "The service is unreachable", service)
    headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}

    async def relay() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        except httpx.HTTPError as exc:
            # Too late for a status: ending the body is all that is left to say.
            log.warning("proxy_upstream_broke_off", service=service, error=type(exc).__name__)

    return StreamingResponse(relay(), status_code=upstream.status_code, headers=headers,
                             background=BackgroundTask(upstream.aclose))


def proxy_router() -> APIRouter:
    """One catch-all route per forwarded prefix. Left out of the gateway's own OpenAPI:
    the upstreams document their endpoints."""
    router = APIRouter()
    for service, prefixes in forwarded().items():
        for prefix in prefixes:
            for path in (prefix, prefix + "/{rest:path}"):
                router.add_api_route(path, forward, methods=METHODS, name=f"proxy:{service}",
                                     include_in_schema=False)
    return router
