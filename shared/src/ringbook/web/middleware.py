"""Pure ASGI middleware (no BaseHTTPMiddleware: it costs a task and a copy per request).

* Correlation: ``X-Correlation-Id`` (or a fresh id) is bound to every log line and echoed.
* Body limit: a declared or streamed body over ``max_body_bytes`` answers 413 before
  the route parses it, so a huge body costs us at most the limit.
* Metrics: request count and latency per route template, for Prometheus.
"""

from __future__ import annotations

import time
import uuid

import orjson
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ringbook.logging import correlation

HTTP_REQUESTS = Counter(
    "ringbook_http_requests_total", "HTTP requests", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "ringbook_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


class BodyTooLarge(Exception):
    pass


async def _send_json(send: Send, status: int, body: dict[str, str]) -> None:
    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class PlatformMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app, self.max_body_bytes = app, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        cid = headers.get(b"x-correlation-id", b"").decode("latin-1")[:100] or str(uuid.uuid4())
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await _send_json(send, 413, {"error": "Request body too large"})
            return
        limit, seen = self.max_body_bytes, 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        status = 500
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                message["headers"] = [*message.get("headers", []),
                                      (b"x-correlation-id", cid.encode())]
            await send(message)

        began = time.perf_counter()
        with correlation(cid):
            try:
                await self.app(scope, limited_receive, tracking_send)
            except BodyTooLarge:
                if not started:
                    status = 413
                    await _send_json(send, 413, {"error": "Request body too large"})
            finally:
                route = scope.get("route")
                template = getattr(route, "path", "unmatched")
                HTTP_REQUESTS.labels(scope["method"], template, str(status)).inc()
                HTTP_LATENCY.labels(scope["method"], template).observe(
                    time.perf_counter() - began
                )
