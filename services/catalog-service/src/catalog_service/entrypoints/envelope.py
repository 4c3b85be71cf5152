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
from ringbook.web.error_rewrite import ErrorAnswer, ErrorBodyRewriter, Rewritten
from starlette.types import ASGIApp

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


def _with_success_false(answer: ErrorAnswer) -> Rewritten | None:
    body = with_success_false(answer.body)
    return None if body is None else Rewritten(body, [])


class SeedEnvelopeMiddleware(ErrorBodyRewriter):
    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app, applies=_enveloped, rewrite=_with_success_false)
