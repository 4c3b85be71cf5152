"""Pure ASGI middleware (no BaseHTTPMiddleware: it costs a task and a copy per request).

* Correlation: ``X-Correlation-Id`` (or a fresh id) is bound to every log line and echoed.
* Body limit: a declared or streamed body over ``max_body_bytes`` answers 413 before
  the route parses it, so a huge body costs us at most the limit. A service may give a
  few exact paths a limit of their own (``body_limits``: an upload route).
* Input rules (:mod:`ringbook.web.input_rules`): headers, path, query and JSON or form
  bodies that no route may receive are refused here with a JSON 4xx, so no service can
  forget a check and meet them as a 500 in Postgres.
* Metrics: request count and latency per route template, for Prometheus.

``check_bodies=False`` (a reverse proxy's) keeps the header, path and query rules and
the body limit, but streams the body on unread: the service that reads it checks it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping

import orjson
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ringbook.logging import correlation
from ringbook.web.input_rules import (
    Refusal,
    check_form,
    check_headers,
    check_json,
    check_path,
    check_query,
    text_problem,
)

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
    """The body is longer than MAX_BODY_BYTES: answered 413 before it is parsed."""


class _ClientGone(Exception):
    """The client disconnected while its body was being read."""


TOO_LARGE = Refusal(413, "Request body too large")
_JSON, _FORM = "json", "form"


def _body_kind(headers: dict[bytes, bytes]) -> str | None:
    """Which body rules apply; None for a request without a body, or one (multipart,
    octet-stream) whose route reads it its own way."""
    if headers.get(b"content-length", b"0") == b"0" and b"transfer-encoding" not in headers:
        return None
    media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    # FastAPI parses a body sent without a Content-Type as JSON, so it is checked as JSON.
    if not media or media == b"application/json" or media.endswith(b"+json"):
        return _JSON
    if media == b"application/x-www-form-urlencoded":
        return _FORM
    return None


def _request_refusal(scope: Scope, headers: dict[bytes, bytes], limit: int) -> Refusal | None:
    if (header_refusal := check_headers(scope["headers"])) is not None:
        return header_refusal
    declared = headers.get(b"content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return TOO_LARGE
    raw_path = scope.get("raw_path")
    if raw_path is not None:
        path_refusal = check_path(raw_path)
    elif (problem := text_problem(scope["path"])) is not None:
        path_refusal = Refusal(400, "Invalid request path", [{"field": "path", "problem": problem}])
    else:
        path_refusal = None
    return path_refusal or check_query(scope.get("query_string", b""))


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The checked body, once, then the server's own receive (for the disconnect)."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _send_json(send: Send, status: int, body: dict[str, object]) -> None:
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
    def __init__(self, app: ASGIApp, *, max_body_bytes: int,
                 body_limits: Mapping[str, int] | None = None,
                 check_bodies: bool = True) -> None:
        self.app, self.max_body_bytes, self.check_bodies = app, max_body_bytes, check_bodies
        self.body_limits = dict(body_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        cid = headers.get(b"x-correlation-id", b"").decode("latin-1")[:100] or str(uuid.uuid4())
        limit, seen = self.body_limits.get(scope["path"], self.max_body_bytes), 0

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
                refusal = _request_refusal(scope, headers, limit)
                app_receive: Receive = limited_receive
                if (refusal is None and self.check_bodies
                        and (kind := _body_kind(headers)) is not None):
                    # Read whole (at most the limit) so the rules see what the route would.
                    body = await _read_body(limited_receive)
                    refusal = check_json(body) if kind == _JSON else check_form(body)
                    app_receive = _replay(body, receive)
                if refusal is not None:
                    await _send_json(tracking_send, refusal.status, refusal.body())
                    return
                await self.app(scope, app_receive, tracking_send)
            except BodyTooLarge:
                if not started:
                    await _send_json(tracking_send, 413, TOO_LARGE.body())
            except _ClientGone:
                status = 499  # the client left before its body arrived; nobody to answer
            finally:
                route = scope.get("route")
                template = getattr(route, "path", "unmatched")
                HTTP_REQUESTS.labels(scope["method"], template, str(status)).inc()
                HTTP_LATENCY.labels(scope["method"], template).observe(
                    time.perf_counter() - began
                )
