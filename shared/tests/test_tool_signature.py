"""The HMAC signature on tool requests: what we sign verifies, anything altered or old
does not."""

from __future__ import annotations

import pytest
from ringbook.tool_signature import BadSignature, sign, verify

SECRET = "whsec_test_secret"


def test_a_signed_body_verifies_to_its_timestamp() -> None:
    header = sign(SECRET, b'{"date":"2026-12-04"}', timestamp=1_800_000_000)
    assert verify(SECRET, header, b'{"date":"2026-12-04"}', now=1_800_000_010) == 1_800_000_000


@pytest.mark.parametrize(("secret", "body", "header_change"), [
    ("other", b"{}", None), (SECRET, b'{"x":1}', None), (SECRET, b"{}", "t=1800000001"),
])
def test_a_changed_secret_body_or_timestamp_fails(secret: str, body: bytes,
                                                  header_change: str | None) -> None:
    header = sign(SECRET, b"{}", timestamp=1_800_000_000)
    if header_change:
        header = header.replace("t=1800000000", header_change)
    with pytest.raises(BadSignature, match="does not match"):
        verify(secret, header, body, now=1_800_000_000)


def test_an_old_signature_is_refused_and_a_missing_one_too() -> None:
    header = sign(SECRET, b"", timestamp=1_800_000_000)
    with pytest.raises(BadSignature, match="tolerance"):
        verify(SECRET, header, b"", now=1_800_000_301)
    with pytest.raises(BadSignature, match="malformed"):
        verify(SECRET, None, b"")
