"""Media stream tokens: the one-call pass a media websocket must present.

Twilio signs the websocket upgrade of a ``<Stream>`` only over its URL, which is the
same for every call, so the signature proves "Twilio connects" but not "for which
call". The service that answers a call with ``<Connect><Stream>`` therefore puts a token
into it as a ``<Parameter>`` (:data:`TOKEN_PARAMETER`; Twilio hands it back in the
``start`` message's ``customParameters``), minted for that one call: its call sid,
tenant, request (or inbound session), attempt and direction, with an expiry a couple of
minutes out. The media websocket believes only these claims, never the other
parameters of ``start``.

A JWT, HS256, with its own audience (:data:`AUDIENCE`), so a user's bearer token is
never a stream token even if someone configured the same secret for both; the secret
(``MEDIA_STREAM_TOKEN_SECRET``) is shared only by the service that mints and the one
that verifies. Verification pins the algorithm, audience and issuer, requires every
claim, and checks time against our :class:`~ringbook.clock.Clock`. A token is good for
ONE stream: its id (``jti``) is what the verifier records to refuse a replay.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal

import jwt
from pydantic import SecretStr, field_validator

from ringbook.clock import Clock
from ringbook.settings import ServiceSettings

TOKEN_PARAMETER = "stream_token"
AUDIENCE = "ringbook-media-stream"
ISSUER = "ringbook"
ALGORITHM = "HS256"
# Long enough for a greeting to play before the stream connects, short enough that a
# token seen in a log is worthless by the time anyone reads it.
DEFAULT_TTL = timedelta(minutes=2)
# Replicas' clocks may disagree a little; a token from further in the future is forged.
MAX_CLOCK_SKEW = timedelta(seconds=60)
MIN_SECRET_BYTES = 32
DEV_MEDIA_STREAM_TOKEN_SECRET = "ringbook-development-media-stream-secret-not-for-production"

_CLAIMS = ("jti", "sub", "tenant", "request", "attempt", "direction", "iat", "exp")

RefusalReason = Literal["missing", "invalid", "expired", "wrong_call"]


class CallDirection(StrEnum):
    OUTBOUND = "outbound"  # we called: the request's booking call
    INBOUND = "inbound"  # somebody called one of our numbers


class InvalidStreamToken(Exception):
    """The token does not admit this stream; ``reason`` says why (for logs and metrics,
    never for the peer)."""

    def __init__(self, reason: RefusalReason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: RefusalReason = reason


@dataclass(frozen=True)
class StreamGrant:
    """What a verified token says about its call."""

    token_id: uuid.UUID
    call_sid: str
    tenant_id: uuid.UUID
    request_id: uuid.UUID  # the request (outbound) or the inbound session
    attempt: int
    direction: CallDirection
    expires_at: datetime
    # The business's own number on an inbound call (the one the caller dialled), which
    # picks the assistant that answers; None on outbound calls.
    line: str | None = None
    # Who calls (E.164) on an inbound call, when the carrier says it in a form we can
    # use: the booking functions book and cancel for this number. None on outbound calls.
    caller: str | None = None


def is_development_secret(secret: str) -> bool:
    """Whether ``secret`` is the public development default (it is in this file), which
    a service's settings list among ``development_values_in_use()``: only
    ``ENVIRONMENT=development`` may sign stream tokens with it."""
    return secret in ("", DEV_MEDIA_STREAM_TOKEN_SECRET)


def check_secret_length(secret: str) -> str:
    """``secret`` if it is long enough for HS256 in any environment; a ValueError
    (for a settings validator) otherwise. The development default is long enough."""
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"MEDIA_STREAM_TOKEN_SECRET must be at least {MIN_SECRET_BYTES} bytes")
    return secret


class StreamTokens:
    def __init__(self, secret: str, *, clock: Clock, ttl: timedelta = DEFAULT_TTL) -> None:
        if ttl <= timedelta(0):
            raise ValueError("a stream token's ttl must be positive")
        self._secret, self._clock, self._ttl = secret, clock, ttl

    def mint(
        self,
        *,
        call_sid: str,
        tenant_id: uuid.UUID,
        request_id: uuid.UUID,
        attempt: int,
        direction: CallDirection,
        line: str | None = None,
        caller: str | None = None,
    ) -> str:
        now = self._clock.now()
        claims: dict[str, object] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "jti": str(uuid.uuid4()),
            "sub": call_sid,
            "tenant": str(tenant_id),
            "request": str(request_id),
            "attempt": attempt,
            "direction": direction.value,
            "iat": int(now.timestamp()),
            "exp": int((now + self._ttl).timestamp()),
        }
        if line is not None:
            claims["line"] = line
        if caller is not None:
            claims["caller"] = caller
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str | None, *, call_sid: str) -> StreamGrant:
        """The grant of ``token`` if it admits a stream of call ``call_sid`` now; raises
        :class:`InvalidStreamToken` otherwise. Replays are the caller's to refuse (by
        ``token_id``): only it knows which tokens were already used."""
        if not token:
            raise InvalidStreamToken("missing")
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                # Time is checked below against our Clock, not the library's wall clock.
                options={"require": list(_CLAIMS), "verify_exp": False, "verify_iat": False},
            )
            grant = StreamGrant(
                token_id=uuid.UUID(str(claims["jti"])),
                call_sid=str(claims["sub"]),
                tenant_id=uuid.UUID(str(claims["tenant"])),
                request_id=uuid.UUID(str(claims["request"])),
                attempt=_attempt(claims["attempt"]),
                direction=CallDirection(claims["direction"]),
                expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
                line=_line(claims.get("line")),
                caller=_line(claims.get("caller"), "caller"),
            )
            issued_at = datetime.fromtimestamp(int(claims["iat"]), UTC)
        except (jwt.PyJWTError, ValueError, TypeError, KeyError, OverflowError) as exc:
            raise InvalidStreamToken("invalid", type(exc).__name__) from None
        now = self._clock.now()
        if issued_at > now + MAX_CLOCK_SKEW:
            raise InvalidStreamToken("invalid", "issued in the future")
        if grant.expires_at <= now:
            raise InvalidStreamToken("expired")
        if grant.call_sid != call_sid:
            raise InvalidStreamToken("wrong_call")
        return grant


def _line(value: object, claim: str = "line") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ValueError(f"{claim} must be a non-empty string")
    return value


def _attempt(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError("attempt must be a positive integer")
    return value


class StreamTokenSettings(ServiceSettings):
    """Settings of a service on either end of a media stream: call-orchestrator mints the
    tokens, media-bridge checks them, both with ``MEDIA_STREAM_TOKEN_SECRET``."""

    media_stream_token_secret: SecretStr = SecretStr(DEV_MEDIA_STREAM_TOKEN_SECRET)

    @field_validator("media_stream_token_secret")
    @classmethod
    def _stream_token_secret_is_long_enough(cls, value: SecretStr) -> SecretStr:
        check_secret_length(value.get_secret_value())
        return value

    def development_values_in_use(self) -> list[str]:
        public = super().development_values_in_use()
        if is_development_secret(self.media_stream_token_secret.get_secret_value()):
            public.append("MEDIA_STREAM_TOKEN_SECRET")  # it signs every call's stream token
        return public
