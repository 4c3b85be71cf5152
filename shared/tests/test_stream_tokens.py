"""Media stream tokens: what call-orchestrator mints for one call and media-bridge
verifies before it lets a stream in. Every way a token can be wrong is refused, with the
reason named."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from ringbook.auth import Principal, TokenService
from ringbook.clock import FakeClock
from ringbook.stream_tokens import (
    AUDIENCE,
    DEV_MEDIA_STREAM_TOKEN_SECRET,
    CallDirection,
    InvalidStreamToken,
    StreamTokens,
    check_secret_length,
    is_development_secret,
)

SECRET = "a-test-secret-of-at-least-thirty-two-bytes"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CALL = "CA" + "1" * 32
TENANT, REQUEST = uuid.uuid4(), uuid.uuid4()


def tokens(clock: FakeClock | None = None, secret: str = SECRET) -> StreamTokens:
    return StreamTokens(secret, clock=clock or FakeClock(NOW), ttl=timedelta(seconds=120))


def minted(service: StreamTokens, call_sid: str = CALL) -> str:
    return service.mint(call_sid=call_sid, tenant_id=TENANT, request_id=REQUEST, attempt=2,
                        direction=CallDirection.OUTBOUND)


def test_a_minted_token_verifies_to_its_claims() -> None:
    service = tokens()
    grant = service.verify(minted(service), call_sid=CALL)
    assert (grant.call_sid, grant.tenant_id, grant.request_id) == (CALL, TENANT, REQUEST)
    assert (grant.attempt, grant.direction) == (2, CallDirection.OUTBOUND)
    assert grant.expires_at == NOW + timedelta(seconds=120)


def test_every_token_has_its_own_id() -> None:
    service = tokens()
    first = service.verify(minted(service), call_sid=CALL)
    second = service.verify(minted(service), call_sid=CALL)
    assert first.token_id != second.token_id


def test_a_token_is_refused_once_it_expired() -> None:
    clock = FakeClock(NOW)
    service = tokens(clock)
    token = minted(service)
    clock.advance(timedelta(seconds=119))
    service.verify(token, call_sid=CALL)
    clock.advance(timedelta(seconds=1))
    with pytest.raises(InvalidStreamToken) as refused:
        service.verify(token, call_sid=CALL)
    assert refused.value.reason == "expired"


def test_a_token_for_another_call_is_refused() -> None:
    service = tokens()
    with pytest.raises(InvalidStreamToken) as refused:
        service.verify(minted(service, call_sid="CA" + "2" * 32), call_sid=CALL)
    assert refused.value.reason == "wrong_call"


@pytest.mark.parametrize("token", [None, "", "not-a-jwt", "a.b.c"])
def test_missing_or_garbage_tokens_are_refused(token: str | None) -> None:
    with pytest.raises(InvalidStreamToken) as refused:
        tokens().verify(token, call_sid=CALL)
    assert refused.value.reason == ("missing" if not token else "invalid")


def test_a_token_signed_with_another_secret_is_refused() -> None:
    forged = minted(tokens(secret="another-secret-of-thirty-two-bytes-or-more"))
    with pytest.raises(InvalidStreamToken) as refused:
        tokens().verify(forged, call_sid=CALL)
    assert refused.value.reason == "invalid"


def test_a_user_token_with_the_same_secret_is_not_a_stream_token() -> None:
    user = TokenService(SECRET, ttl=timedelta(hours=1), clock=FakeClock(NOW)).issue(
        Principal(user_id=uuid.uuid4(), tenant_id=TENANT, email="a@b.de", name=None))
    with pytest.raises(InvalidStreamToken) as refused:
        tokens().verify(user, call_sid=CALL)
    assert refused.value.reason == "invalid"


def test_unsigned_and_tampered_tokens_are_refused() -> None:
    service = tokens()
    claims = jwt.decode(minted(service), SECRET, algorithms=["HS256"], audience=AUDIENCE,
                        options={"verify_exp": False})
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    claims["tenant"] = str(uuid.uuid4())
    resigned_elsewhere = jwt.encode(claims, "x" * 40, algorithm="HS256")
    header, _, signature = minted(service).split(".")
    _, body, _ = resigned_elsewhere.split(".")
    for token in (unsigned, resigned_elsewhere, f"{header}.{body}.{signature}"):
        with pytest.raises(InvalidStreamToken) as refused:
            service.verify(token, call_sid=CALL)
        assert refused.value.reason == "invalid"


def test_a_token_from_the_future_is_refused() -> None:
    early = tokens(FakeClock(NOW + timedelta(minutes=5)))
    with pytest.raises(InvalidStreamToken) as refused:
        tokens().verify(minted(early), call_sid=CALL)
    assert refused.value.reason == "invalid"


def test_the_development_secret_is_known_and_every_secret_must_be_long_enough() -> None:
    assert is_development_secret(DEV_MEDIA_STREAM_TOKEN_SECRET) and is_development_secret("")
    assert not is_development_secret(SECRET)
    assert check_secret_length(DEV_MEDIA_STREAM_TOKEN_SECRET) == DEV_MEDIA_STREAM_TOKEN_SECRET
    with pytest.raises(ValueError, match="32 bytes"):
        check_secret_length("short")


def test_an_inbound_token_carries_the_line_the_caller_dialled() -> None:
    service = tokens()
    token = service.mint(call_sid=CALL, tenant_id=TENANT, request_id=REQUEST, attempt=1,
                         direction=CallDirection.INBOUND, line="+390612345678")
    assert service.verify(token, call_sid=CALL).line == "+390612345678"
    assert service.verify(minted(service), call_sid=CALL).line is None


def test_an_inbound_token_carries_who_calls_and_a_malformed_caller_is_refused() -> None:
    service = tokens()
    token = service.mint(call_sid=CALL, tenant_id=TENANT, request_id=REQUEST, attempt=1,
                         direction=CallDirection.INBOUND, line="+390612345678",
                         caller="+393331234567")
    assert service.verify(token, call_sid=CALL).caller == "+393331234567"
    assert service.verify(minted(service), call_sid=CALL).caller is None
    claims = jwt.decode(token, options={"verify_signature": False})
    for bad in ("", 39333):
        forged = jwt.encode({**claims, "caller": bad}, SECRET, algorithm="HS256")
        with pytest.raises(InvalidStreamToken) as refused:
            service.verify(forged, call_sid=CALL)
        assert refused.value.reason == "invalid"
