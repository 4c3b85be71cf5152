"""Route plumbing shared by the gateway's routers."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from ringbook.web.errors import error_body

from request_service.application.ports import StoreUnavailable


async def store_unavailable_handler(_: Request, exc: Exception) -> Response:
    """Postgres is down: 503 with a hint to retry, never a generic 500."""
    assert isinstance(exc, StoreUnavailable)
    return JSONResponse(
        error_body("Service temporarily unavailable"),
        status_code=503,
        headers={"Retry-After": "2"},
    )
