"""Route class for every router whose endpoints read a body."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from ringbook.web.middleware import BodyTooLarge

RouteHandler = Callable[[Request], Coroutine[Any, Any, Response]]


class PlatformRoute(APIRoute):
    """Lets the platform's body limit answer 413.

    The platform middleware raises BodyTooLarge from ``receive`` when a streamed
    (chunked) body passes the limit, but FastAPI turns any error while reading a body
    into "400 There was an error parsing the body". Re-raising the original lets the
    middleware answer 413 as it does for a declared Content-Length.
    """

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
