"""FastAPI dependencies for authentication (``Annotated`` style).

The token service lives on ``app.state.tokens`` and the internal token on
``app.state.internal_token`` (wired in each service's lifespan, read typed through
:func:`ringbook.web.state.wired`), so every service verifies the same JWTs the gateway
issued.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from ringbook.auth import InvalidToken, Principal, TokenService
from ringbook.web.errors import ApiError
from ringbook.web.state import wired

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Missing or malformed Authorization header", headers=_CHALLENGE)
    return token.strip()


def principal_of(request: Request) -> Principal:
    """The caller's verified identity, from the bearer header (401 if absent or bad)."""
    tokens = wired(request, "tokens", TokenService)
    try:
        return tokens.verify(_bearer(request))
    except InvalidToken:
        raise ApiError(401, "Invalid or expired token", headers=_CHALLENGE) from None


# The dependencies are ``async def`` although they do no I/O: FastAPI runs a plain
# ``def`` dependency in a worker thread, and that hand-off (two queue operations and a
# thread wake-up per request) cost more than the check itself on the accept path.
async def require_principal(request: Request) -> Principal:
    return principal_of(request)


async def require_internal(request: Request) -> None:
    """Service-to-service calls carry the shared INTERNAL_TOKEN as a bearer token."""
    expected = wired(request, "internal_token", str)
    if not hmac.compare_digest(_bearer(request).encode(), expected.encode()):
        raise ApiError(401, "Invalid internal token")


CurrentPrincipal = Annotated[Principal, Depends(require_principal)]
InternalCaller = Annotated[None, Depends(require_internal)]
