"""TokenService remembers verified tokens; nothing it remembers outlives a fresh check."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from ringbook import auth
from ringbook.auth import InvalidToken, Principal, TokenService
from ringbook.clock import FakeClock

SECRET = "s" * 40


def principal() -> Principal:
    return Principal(user_id=uuid.uuid4(), tenant_id=uuid.uuid4(), email="a@example.com",
                     name="A")


def service(clock: FakeClock, secret: str = SECRET) -> TokenService:
    return TokenService(secret, ttl=timedelta(hours=1), clock=clock)


def test_a_remembered_token_still_expires_on_time() -> None:
    clock = FakeClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    tokens = service(clock)
    who = principal()
    token = tokens.issue(who)
    assert tokens.verify(token) == who
    assert tokens.verify(token) == who  # from the cache
    clock.advance(timedelta(hours=1))
    with pytest.raises(InvalidToken, match="expired"):
        tokens.verify(token)


def test_a_token_altered_after_a_good_one_was_remembered_is_refused() -> None:
    clock = FakeClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    tokens = service(clock)
    token = tokens.issue(principal())
    tokens.verify(token)
    head, body, signature = token.split(".")
    forged_claims = jwt.decode(token, options={"verify_signature": False})
    forged_claims["tenant"] = str(uuid.uuid4())
    forged = jwt.encode(forged_claims, "another secret " * 3, algorithm="HS256")
    for bad in (forged, f"{head}.{body}.{signature[:-2]}AA", token + "x"):
        with pytest.raises(InvalidToken):
            tokens.verify(bad)


def test_another_secret_never_sees_this_ones_tokens_as_valid() -> None:
    clock = FakeClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    token = service(clock).issue(principal())
    other = service(clock, secret="o" * 40)
    with pytest.raises(InvalidToken):
        other.verify(token)


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "VERIFIED_CACHE_SIZE", 8)
    clock = FakeClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    tokens = service(clock)
    issued = [tokens.issue(principal()) for _ in range(20)]
    for token in issued:
        tokens.verify(token)
    assert len(tokens._verified) == 8
    assert set(tokens._verified) == set(issued[-8:])
    # An evicted token is simply checked again.
    assert tokens.verify(issued[0]).email == "a@example.com"
