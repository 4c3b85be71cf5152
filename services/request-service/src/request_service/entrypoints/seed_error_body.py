"""Seed 000's error body, ``{"status": "error", "request_id", "error"}``, for every error
``POST /api/process-request`` answers, whichever layer answers it.

The route class (``process_request.SeedErrorRoute``) words the errors a route raises.
The platform middleware answers some before any route runs (a body over the limit, a
NUL character, headers too large); this middleware, outside it, rewrites those answers
into the seed's shape, echoing the ``request_id`` of the body when it holds one.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import orjson
from fastapi.responses import JSONResponse
from ringbook.web.error_rewrite import ErrorAnswer, ErrorBodyRewriter, Rewritten
from starlette.types import ASGIApp

from request_service.entrypoints.schemas import SeedErrorOut

PATH = "/api/process-request"
# More than the platform's body limit lets through: the whole body is remembered.
_REMEMBERED_BYTES = 1024 * 1024


def readable_request_id(raw: bytes) -> str | None:
    """The request_id to echo in an error, if the body holds a well-formed one.

    The standard parser, told to read numbers as nothing: the body may be one refused
    for a NUL, a lone surrogate or a 5000-digit number, and still name its request."""
    try:
        body = json.loads(raw, parse_int=_ignored, parse_float=_ignored, parse_constant=_ignored)
        return str(uuid.UUID(body["request_id"])) if isinstance(body, dict) else None
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError):
        return None


def _ignored(_: str) -> None:
    return None


def seed_error(status: int, request_id: str | None, error: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": "2"}  # nothing was stored: the same body may be resent
    body = SeedErrorOut(request_id=request_id, error=error).model_dump()
    return JSONResponse(body, status_code=status, headers=headers)


def _platform_error_text(payload: bytes) -> str | None:
    """The seed's one ``error`` string for a platform body ``{"error", "details"}``
    (None if the body is already the seed's)."""
    try:
        body: Any = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return payload.decode("utf-8", "replace")[:300] or "Request refused"
    if not isinstance(body, dict):
        return "Request refused"
    if body.get("status") == "error":
        return None
    details = body.get("details")
    if isinstance(details, list) and details and all(
        isinstance(d, dict) and {"field", "problem"} <= set(d) for d in details
    ):
        return "; ".join(f"{d['field']}: {d['problem']}" for d in details)
    return str(body.get("error") or "Request refused")


def _in_seed_shape(answer: ErrorAnswer) -> Rewritten | None:
    error = _platform_error_text(answer.body)
    if error is None:
        return None
    # A body refused for its size was not read, so it names no request.
    request_id = None if answer.status == 413 else readable_request_id(answer.request_body)
    seed = seed_error(answer.status, request_id, error)
    return Rewritten(bytes(seed.body), list(seed.raw_headers))


class SeedErrorBodyMiddleware(ErrorBodyRewriter):
    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app, applies=PATH.__eq__, rewrite=_in_seed_shape,
                         remember_request_bytes=_REMEMBERED_BYTES)
