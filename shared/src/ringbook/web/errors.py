"""One JSON error body for every service: ``{"error": "...", "details": ...}``.

No client input may produce a 500: validation errors become 422 (400 for a body that
is not JSON at all), oversized bodies 413 and headers 431, input no route may receive
(NUL characters, lone surrogates, 64-bit overflows, deep nesting) 4xx before any route
runs (``ringbook.web.input_rules``), and anything unexpected is logged with the
correlation id and answered with a generic 500 that leaks nothing.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from ringbook.logging import get_logger

log = get_logger(__name__)


class ApiError(Exception):
    """Raise from a route to answer ``status`` with the standard error body."""

    def __init__(
        self, status: int, error: str, details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.status, self.error, self.details = status, error, details
        self.headers = headers


class ErrorOut(BaseModel):
    """The error body, as the OpenAPI documents it (``details`` is a list of
    ``{"field", "problem"}`` for invalid input, else whatever the error adds)."""

    error: str
    details: Any = None


def error_body(error: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": error}
    if details is not None:
        body["details"] = details
    return body


def describe_validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "field": ".".join(str(p) for p in e["loc"] if p != "body") or "body",
            "problem": e["msg"],
        }
        for e in exc.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.error, exc.details), status_code=exc.status,
                            headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            error_body(str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = describe_validation_errors(exc)
        not_json = any(e["type"] == "json_invalid" for e in exc.errors())
        return JSONResponse(
            error_body("Request body is not valid JSON" if not_json else "Invalid request",
                       problems),
            status_code=400 if not_json else 422,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", error=repr(exc))
        return JSONResponse(error_body("Internal server error"), status_code=500)
