"""``/api/auth``: register, login, me, refresh (seed 002); ``POST /token``, seed 001's
login, is the same handler at seed 001's path.

Errors use the platform body ``{"error": ...}``: 409 "Email already registered",
401 "Invalid email or password" (the same words for an unknown address and a wrong
password), 422 for a body that breaks the rules (password under 8 characters, …).
"""

from __future__ import annotations

from fastapi import APIRouter
from ringbook.web.errors import ApiError
from ringbook.web.routing import PlatformRoute
from ringbook.web.security import CurrentPrincipal

from request_service.application.auth import InvalidCredentials, Session, UnknownUser
from request_service.application.ports import EmailAlreadyRegistered
from request_service.domain.users import User
from request_service.entrypoints.dependencies import GatewayDep
from request_service.entrypoints.schemas import (
    LoginBody,
    MeOut,
    RegisterBody,
    SessionOut,
    UserDetailOut,
    UserOut,
)

router = APIRouter(prefix="/api/auth", tags=["auth"], route_class=PlatformRoute)
token_router = APIRouter(tags=["auth"], route_class=PlatformRoute)


def _user(user: User) -> UserOut:
    return UserOut(id=user.id, email=user.email, name=user.name)


def _session(session: Session) -> SessionOut:
    return SessionOut(token=session.token, user=_user(session.user))


@router.post("/register", status_code=201, response_model=SessionOut)
async def register(body: RegisterBody, gateway: GatewayDep) -> SessionOut:
    """Create an account (its own tenant) and sign it in with a 24 h token."""
    try:
        session = await gateway.auth.register(
            email=str(body.email), password=body.password, name=body.name
        )
    except EmailAlreadyRegistered:
        raise ApiError(409, "Email already registered") from None
    return _session(session)


@router.post("/login", response_model=SessionOut)
async def login(body: LoginBody, gateway: GatewayDep) -> SessionOut:
    """Seed 002's login; seed 001 calls the same as ``POST /token``."""
    try:
        session = await gateway.auth.login(email=body.email, password=body.password)
    except InvalidCredentials:
        raise ApiError(401, "Invalid email or password") from None
    return _session(session)


token_router.add_api_route(
    "/token", login, methods=["POST"], response_model=SessionOut,
    summary="Login (seed 001's path)",
    description="The same as `POST /api/auth/login`: body, answer and errors.",
)


@router.get("/me", response_model=MeOut)
async def me(principal: CurrentPrincipal, gateway: GatewayDep) -> MeOut:
    try:
        user = await gateway.auth.current_user(principal)
    except UnknownUser:
        raise ApiError(401, "User no longer exists") from None
    return MeOut(
        user=UserDetailOut(id=user.id, email=user.email, name=user.name, created_at=user.created_at)
    )


@router.post("/refresh", response_model=SessionOut)
async def refresh(principal: CurrentPrincipal, gateway: GatewayDep) -> SessionOut:
    """A new 24 h token for a still-valid one (an expired token must log in again)."""
    try:
        session = await gateway.auth.refresh(principal)
    except UnknownUser:
        raise ApiError(401, "User no longer exists") from None
    return _session(session)

