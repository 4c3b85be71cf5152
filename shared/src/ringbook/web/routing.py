"""Route class for every router of a service."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from ringbook.web.errors import ErrorOut
from ringbook.web.middleware import BodyTooLarge

RouteHandler = Callable[[Request], Coroutine[Any, Any, Response]]

# What the platform middleware may answer for any route, before the route runs; the
# OpenAPI says so, so a client (and schemathesis) can hold each answer to its schema.
PLATFORM_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Not JSON, not UTF-8, or a malformed path"},
    413: {"model": ErrorOut, "description": "Body over the size limit"},
    422: {"model": ErrorOut, "description": "Invalid input (each field and its problem)"},
    431: {"model": ErrorOut, "description": "Headers over the size limit"},
}


class PlatformRoute(APIRoute):
    """Documents the platform's error answers, and lets its body limit answer 413.

    The platform middleware raises BodyTooLarge from ``receive`` when a streamed
    (chunked) body passes the limit, but FastAPI turns any error while reading a body
    into "400 There was an error parsing the body". Re-raising the original lets the
    middleware answer 413 as it does for a declared Content-Length.
    """

    def __init__(
        self, path: str, endpoint: Callable[..., Any], *,
        responses: dict[int | str, dict[str, Any]] | None = None, **kwargs: Any,
    ) -> None:
        # A route's own entries win: seed 000's endpoint documents its own error body.
        super().__init__(path, endpoint, responses={**PLATFORM_ERRORS, **(responses or {})},
                         **kwargs)

    def get_route_handler(self) -> RouteHandler:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except HTTPException as exc:
                if isinstance(exc.__cause__, BodyTooLarge):
                    raise exc.__cause__ from None
                raise

        return handler
