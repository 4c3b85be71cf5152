"""Seed 001's envelope: every answer of ``/api/assistants``, ``/api/tools``,
``/api/files``, ``/api/phone-numbers`` (and ``/api/business-hours``, ours, alike) is
``{"success": true, "data": ...}``, every error ``{"success": false, "error": "...",
"details": ...}`` (the platform's error body plus ``success``).

Routes return :class:`Ok`; errors are raised as usual and answered by the platform's
handlers, or by its middleware before any route runs (a body over the limit, a NUL
character). :class:`SeedEnvelopeMiddleware`, outside all of them, adds ``"success":
false`` to each such error body on these paths, so no error escapes the envelope.
Seed 002's ``/api/clients`` keeps its own bodies (``{"client": ...}``, ``{"error": ...}``).
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

import orjson
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

T = TypeVar("T")

ENVELOPED_PREFIXES = (
    "/api/assistants", "/api/tools", "/api/files", "/api/phone-numbers", "/api/business-hours",
)


class Ok(BaseModel, Generic[T]):
    success: Literal[True] = True
    data: T


class Failed(BaseModel):
    """An error of the enveloped endpoints, as the OpenAPI documents it."""

    success: Literal[False] = False
    error: str
    details: Any = None


def ok(data: T) -> Ok[T]:
    return Ok[T](data=data)


def _enveloped(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in ENVELOPED_PREFIXES)


def with_success_false(payload: bytes) -> bytes | None:
    """The error body with ``"success": false`` first; None if it needs no change."""
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(body, dict) or "success" in body:
        return None
    return orjson.dumps({"success": False, **body})


class SeedEnvelopeMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _enveloped(scope["path"]):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        held = bytearray()

        async def rewriting_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and message["status"] >= 400:
                start = message  # held until its body is known
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            held.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            rewritten = with_success_false(bytes(held))
            body = bytes(held) if rewritten is None else rewritten
            headers = [(k, v) for k, v in start.get("headers", [])
                       if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, rewriting_send)
