"""The reverse proxy: every request whose path the route table gives to another service
is forwarded there, body and response streamed, and every failure of the upstream is
answered with the platform's JSON error body (never an HTML or empty 5xx).

Where it sits (``entrypoints/app.py``): outside the platform middleware of the gateway's
own routes, whose body limit (``MAX_BODY_BYTES``, 64 KiB) suits JSON but would cut a
20 MiB upload. A forwarded request goes through a platform middleware of its own
instead: correlation id, header, path and query rules as everywhere, and the body
counted against ``PROXY_MAX_BODY_BYTES`` as it streams, but not read whole: the
upstream that reads the body checks it.

Failures, before the upstream's response began:

==========================================  =======================================
the upstream refused or closed the socket    502 (counted by its circuit)
no connection or no answer in time           504 (counted by its circuit)
its circuit is open                          503 with Retry-After, nothing is tried
no free connection in the pool               503 with Retry-After
==========================================  =======================================

Once the response has begun, an upstream that drops or stalls (read timeout) ends it:
the connection to the client is closed without the body's end, so the client sees a
truncated response, never a hang and never a complete-looking one.
"""

from __future__ import annotations

import asyncio
import functools
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote_from_bytes

import httpx
import structlog
from fastapi.responses import JSONResponse
from prometheus_client import Counter, Histogram
from ringbook.clock import Clock
from ringbook.logging import get_logger
from ringbook.web.errors import error_body
from ringbook.web.middleware import PlatformMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from request_service.domain.circuit_breaker import CircuitBreaker
from request_service.entrypoints.proxy_headers import (
    downstream_response_headers,
    has_body,
    upstream_request_headers,
)
from request_service.gateway_routes import (
    ROUTES,
    GatewayRoute,
    Service,
    route_for,
    upstream_for,
    upstreams,
)
from request_service.settings import RequestServiceSettings

log = get_logger(__name__)

PROXIED_REQUESTS = Counter(
    "ringbook_gateway_proxied_requests_total",
    "Requests the gateway forwarded, by upstream and the status its client got "
    "(502/503/504 include the gateway's own answers; 499: the client left)",
    ["upstream", "status"],
)
UPSTREAM_LATENCY = Histogram(
    "ringbook_gateway_upstream_seconds",
    "From forwarding a request to its upstream's response headers",
    ["upstream"],
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CLIENT_GONE = 499  # nginx's convention: the client closed before its answer
# What the error body says went wrong, in words that name no host or address.
_PROBLEMS: dict[type[Exception], str] = {
    httpx.ConnectError: "connection refused or unreachable",
    httpx.ConnectTimeout: "no connection within the connect timeout",
    httpx.ReadTimeout: "no answer within the read timeout",
    httpx.WriteTimeout: "the request could not be sent within the timeout",
    httpx.RemoteProtocolError: "closed the connection without an answer",
    httpx.ReadError: "closed the connection without an answer",
    httpx.WriteError: "closed the connection while the request was sent",
}
# Characters a request target may carry as they are (RFC 3986); any other byte is
# percent-encoded, which the upstream decodes to the very path the gateway routed.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"


class _ClientLeft(Exception):
    """The client disconnected while its body was being forwarded."""


@dataclass
class Upstream:
    service: Service
    base_url: str
    circuit: CircuitBreaker


def new_upstream_client(settings: RequestServiceSettings) -> httpx.AsyncClient:
    """The one client of a process for every upstream (its pool is shared)."""
    timeout = httpx.Timeout(
        connect=settings.proxy_connect_timeout_seconds,
        read=settings.proxy_read_timeout_seconds,
        write=settings.proxy_read_timeout_seconds,
        pool=settings.proxy_pool_timeout_seconds,
    )
    limits = httpx.Limits(
        max_connections=settings.proxy_max_connections,
        max_keepalive_connections=settings.proxy_max_keepalive,
        # Below uvicorn's 5 s keep-alive, so the upstream never closes an idle
        # connection just as the gateway reuses it.
        keepalive_expiry=4.0,
    )
    # trust_env=False: an HTTP(S)_PROXY of the host must not reroute internal calls.
    return httpx.AsyncClient(timeout=timeout, limits=limits, trust_env=False,
                             follow_redirects=False)


async def _answer(send: Send, status: int, error: str, service: Service, problem: str, *,
                  retry_after: float | None = None, seed_001_errors: bool = False) -> int:
    headers = None
    if retry_after is not None:
        headers = {"Retry-After": str(max(1, math.ceil(retry_after)))}
    body = error_body(error, {"service": service.name, "problem": problem})
    if seed_001_errors:
        body = {"success": False, **body}
    response = JSONResponse(body, status_code=status, headers=headers)
    await send({"type": "http.response.start", "status": status,
                "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})
    return status


def _has_dot_segment(path: str) -> bool:
    # Never normalised here: an upstream would route "/api/tools/../x" as it stands,
    # but an ingress in front might not; such a path is refused rather than guessed at.
    return any(segment in (".", "..") for segment in path.split("/"))


class GatewayProxy:
    """Forwards a request to the upstream of its path. ``open`` (in the lifespan)
    creates the shared client, ``close`` (at shutdown) closes it."""

    def __init__(self, settings: RequestServiceSettings, clock: Clock,
                 routes: tuple[GatewayRoute, ...] = ROUTES) -> None:
        self._settings, self._clock, self._routes = settings, clock, routes
        self._upstreams = {
            service.name: Upstream(service, settings.upstream_url(service), CircuitBreaker(
                settings.proxy_circuit_failures, settings.proxy_circuit_open_seconds))
            for service in upstreams(routes)
        }
        self._client: httpx.AsyncClient | None = None

    async def open(self) -> None:
        self._client = new_upstream_client(self._settings)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            raise RuntimeError("the gateway's upstream client is opened in the lifespan")
        return self._client

    def upstream_for(self, path: str) -> Upstream | None:
        service = upstream_for(path, self._routes)
        return None if service is None else self._upstreams[service.name]

    def upstream_urls(self) -> dict[Service, str]:
        return {u.service: u.base_url for u in self._upstreams.values()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        upstream = self.upstream_for(scope["path"])
        assert upstream is not None, "GatewayDispatch sends only forwarded paths here"
        status = await self._forward(upstream, scope, receive, send)
        PROXIED_REQUESTS.labels(upstream.service.name, str(status)).inc()

    async def _forward(self, upstream: Upstream, scope: Scope, receive: Receive,
                       send: Send) -> int:
        service = upstream.service
        route = route_for(scope["path"], self._routes)
        answer = functools.partial(
            _answer, send, seed_001_errors=route is not None and route.seed_001_errors)
        if _has_dot_segment(scope["path"]):
            return await answer(400, "Invalid request path", service,
                                 "dot segments are not forwarded")
        now = self._clock.now().timestamp()
        if (wait := upstream.circuit.retry_after(now)) is not None:
            return await answer(503, "Service temporarily unavailable", service,
                                 "circuit open after repeated failures", retry_after=wait)
        request = self._upstream_request(upstream, scope, receive)
        began = time.perf_counter()
        try:
            response = await self.client.send(request, stream=True)
        except _ClientLeft:
            return CLIENT_GONE
        except httpx.PoolTimeout:
            return await answer(503, "Service temporarily unavailable", service,
                                 "the gateway has no free connection", retry_after=1)
        except httpx.TimeoutException as exc:
            self._failed(upstream, exc, now)
            return await answer(504, "Upstream service did not answer in time",
                                 service, _PROBLEMS.get(type(exc), "timeout"))
        except httpx.LocalProtocolError:
            # Something the gateway's server accepted but HTTP/1.1 cannot carry on.
            return await answer(400, "Request cannot be forwarded", service,
                                 "a header cannot be forwarded")
        except httpx.TransportError as exc:
            self._failed(upstream, exc, now)
            return await answer(502, "Upstream service unavailable", service,
                                 _PROBLEMS.get(type(exc), "no valid answer"))
        UPSTREAM_LATENCY.labels(service.name).observe(time.perf_counter() - began)
        upstream.circuit.record_success()
        try:
            await self._relay(upstream, response, receive, send)
        finally:
            await response.aclose()
        return response.status_code

    def _failed(self, upstream: Upstream, exc: Exception, now: float) -> None:
        opened = upstream.circuit.record_failure(now)
        log.warning("upstream_failed", upstream=upstream.service.name, error=repr(exc),
                    circuit_opened=opened)

    def _upstream_request(self, upstream: Upstream, scope: Scope,
                          receive: Receive) -> httpx.Request:
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        query = quote_from_bytes(scope.get("query_string", b""), safe=_PATH_SAFE + "?")
        url = httpx.URL(upstream.base_url + quote_from_bytes(raw_path, safe=_PATH_SAFE)
                        + ("?" + query if query else ""))
        client = scope.get("client")
        cid = structlog.contextvars.get_contextvars().get("correlation_id") or ""
        headers = upstream_request_headers(
            scope["headers"], client_host=client[0] if client else None,
            scheme=scope.get("scheme", "http"), correlation_id=str(cid))
        content = _streamed_body(receive) if has_body(scope["headers"]) else None
        # Built directly, not by client.build_request: the client's default headers
        # (User-Agent, Accept-Encoding) and cookies must not be added to a user's
        # request; the timeouts therefore travel in the extensions.
        return httpx.Request(scope["method"], url, headers=headers, content=content,
                             extensions={"timeout": self.client.timeout.as_dict()})

    async def _relay(self, upstream: Upstream, response: httpx.Response, receive: Receive,
                     send: Send) -> None:
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": downstream_response_headers(response.headers.raw)})
        pump = asyncio.ensure_future(_pump(response, send))
        gone = asyncio.ensure_future(_client_gone(receive))
        try:
            await asyncio.wait({pump, gone}, return_when=asyncio.FIRST_COMPLETED)
            # Pump still running means the watch ended: the client left (cancel the
            # pump below), or its receive failed (a body still arriving past the
            # limit after the upstream answered), which leaves the pump to finish.
            if not pump.done() and gone.exception() is not None:
                await asyncio.wait({pump})
        finally:
            for task in (pump, gone):
                task.cancel()
            await asyncio.gather(pump, gone, return_exceptions=True)
        if pump.cancelled():
            return  # the client left; nobody reads the rest
        if (cut := pump.exception()) is not None:
            # Returning without the body's end makes the server close the connection,
            # so the client knows the body is incomplete.
            log.warning("upstream_response_cut", upstream=upstream.service.name,
                        error=repr(cut))
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _streamed_body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientLeft
        if chunk := message.get("body", b""):
            yield chunk
        if not message.get("more_body", False):
            return


async def _pump(response: httpx.Response, send: Send) -> None:
    async for chunk in response.aiter_raw():
        await send({"type": "http.response.body", "body": chunk, "more_body": True})


async def _client_gone(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class GatewayDispatch:
    """ASGI middleware: forwarded paths go to the proxy, behind a platform middleware
    with the proxy's body limit; every other path to the gateway's own app."""

    def __init__(self, app: ASGIApp, *, proxy: GatewayProxy, max_body_bytes: int) -> None:
        self.app, self.proxy = app, proxy
        self.forwarded = PlatformMiddleware(proxy, max_body_bytes=max_body_bytes,
                                            check_bodies=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.proxy.upstream_for(scope["path"]) is not None:
            await self.forwarded(scope, receive, send)
        else:
            await self.app(scope, receive, send)
