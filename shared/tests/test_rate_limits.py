"""The named rate limits: a key over its limit is refused with a 429 that says when to
retry, other keys and other limits are untouched, and an empty limit is off."""

from __future__ import annotations

import pytest
from ringbook.web.rate_limits import RateLimitExceeded, RateLimits


def test_the_hit_after_the_limit_is_refused_with_a_retry_after() -> None:
    limits = RateLimits({"bookings": "3/minute"})
    for _ in range(3):
        limits.hit("bookings", "tenant-a")
    with pytest.raises(RateLimitExceeded) as raised:
        limits.hit("bookings", "tenant-a")
    error = raised.value.as_api_error()
    assert error.status == 429
    assert 1 <= int(error.headers["Retry-After"]) <= 60  # type: ignore[index]
    assert error.details["limit"] == "3/minute"


def test_keys_and_limits_are_counted_apart() -> None:
    limits = RateLimits({"bookings": "1/minute", "calls": "1/minute"})
    limits.hit("bookings", "tenant-a")
    limits.hit("bookings", "tenant-b")
    limits.hit("calls", "tenant-a")
    with pytest.raises(RateLimitExceeded):
        limits.hit("calls", "tenant-a")


def test_an_empty_or_unknown_limit_is_off() -> None:
    limits = RateLimits({"bookings": ""})
    for _ in range(100):
        limits.hit("bookings", "tenant-a")
        limits.hit("unnamed", "tenant-a")


def test_a_malformed_limit_is_refused_at_once() -> None:
    with pytest.raises(ValueError):
        RateLimits({"bookings": "thirty a minute"})
