"""JWT bearer tokens: issued by request-service, verified by every service.

HS256 with a shared secret (``JWT_SECRET``). Verification pins the algorithm, the issuer
and the audience and requires ``exp``, so a token minted for something else, or with
``alg: none``, is refused.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import jwt

from ringbook.clock import Clock

ISSUER = "ringbook"
AUDIENCE = "ringbook-api"
ALGORITHM = "HS256"


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    name: str | None


# Verified tokens kept, so a client's next request skips the signature check (about a
# tenth of an accept's CPU). Bounded: the oldest entry goes when it is full.
VERIFIED_CACHE_SIZE = 4096


@dataclass(frozen=True)
class _Verified:
    principal: Principal
    expires: int
    issued: int


class TokenService:
    """Issues and verifies bearer tokens.

    A token whose signature, issuer and audience were verified once is remembered by its
    exact text: only the same bytes, signed with this process's secret, can hit the
    cache, and the time claims are checked again on every use, so a remembered token
    still expires on time. Nothing can revoke a token before its ``exp`` (there is no
    deny list), so remembering one grants nothing a fresh check would refuse."""

    def __init__(self, secret: str, *, ttl: timedelta, clock: Clock) -> None:
        self._secret, self._ttl, self._clock = secret, ttl, clock
        self._verified: dict[str, _Verified] = {}

    def issue(self, principal: Principal) -> str:
        now = self._clock.now()
        claims = {
            "sub": str(principal.user_id),
            "tenant": str(principal.tenant_id),
            "email": principal.email,
            "name": principal.name,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": int(now.timestamp()),
            "exp": int((now + self._ttl).timestamp()),
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is None:
            known = self._check_signature(token)
            if len(self._verified) >= VERIFIED_CACHE_SIZE:
                del self._verified[next(iter(self._verified))]
            self._verified[token] = known
        # Time claims are checked against our Clock, not the library's wall clock, so
        # tests can move time and the gateway agrees with itself about "now".
        now = int(self._clock.now().timestamp())
        if known.expires <= now:
            raise InvalidToken("token expired")
        if known.issued > now + 60:  # a minute of skew between replicas
            raise InvalidToken("token issued in the future")
        return known.principal

    def _check_signature(self, token: str) -> _Verified:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "tenant"], "verify_exp": False,
                         "verify_iat": False},
            )
            principal = Principal(
                user_id=uuid.UUID(claims["sub"]),
                tenant_id=uuid.UUID(claims["tenant"]),
                email=str(claims.get("email", "")),
                name=claims.get("name"),
            )
            return _Verified(principal, int(claims["exp"]), int(claims["iat"]))
        except (jwt.PyJWTError, ValueError, KeyError) as exc:
            raise InvalidToken(str(exc)) from exc
