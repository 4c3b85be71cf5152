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


class TokenService:
    def __init__(self, secret: str, *, ttl: timedelta, clock: Clock) -> None:
        self._secret, self._ttl, self._clock = secret, ttl, clock

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
            # Time claims are checked against our Clock, not the library's wall clock, so
            # tests can move time and the gateway agrees with itself about "now".
            now = int(self._clock.now().timestamp())
            if int(claims["exp"]) <= now:
                raise InvalidToken("token expired")
            if int(claims["iat"]) > now + 60:  # a minute of skew between replicas
                raise InvalidToken("token issued in the future")
            return Principal(
                user_id=uuid.UUID(claims["sub"]),
                tenant_id=uuid.UUID(claims["tenant"]),
                email=str(claims.get("email", "")),
                name=claims.get("name"),
            )
        except (jwt.PyJWTError, ValueError, KeyError) as exc:
            raise InvalidToken(str(exc)) from exc
