"""The signature on every request media-bridge makes to a business's HTTP tool, so the
tool's owner can tell our requests from anyone else's and refuse replays.

Header ``X-Ringbook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``, the HMAC keyed
with the tool's signing secret over ``"<t>." + body`` (the raw request body bytes; empty
for a GET). The timestamp is inside the MAC, so an old request cannot be replayed with a
fresh time; a receiver refuses a ``t`` older than a few minutes. The same scheme as
Stripe's webhook signatures, so owners can reuse code they know.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

SIGNATURE_HEADER = "X-Ringbook-Signature"
DEFAULT_TOLERANCE_SECONDS = 300
_HEADER = re.compile(r"^t=(\d{1,12}),v1=([0-9a-f]{64})$")


class BadSignature(ValueError):
    pass


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The header value for a request with ``body``."""
    at = int(time.time()) if timestamp is None else timestamp
    return f"t={at},v1={_mac(secret, at, body)}"


def verify(secret: str, header: str | None, body: bytes, *, now: float | None = None,
           tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS) -> int:
    """The signed timestamp if ``header`` signs ``body`` with ``secret`` recently enough;
    BadSignature otherwise. What a tool's owner runs on each request."""
    match = _HEADER.match(header or "")
    if match is None:
        raise BadSignature("missing or malformed signature header")
    at, mac = int(match.group(1)), match.group(2)
    if not hmac.compare_digest(mac, _mac(secret, at, body)):
        raise BadSignature("signature does not match")
    current = time.time() if now is None else now
    if abs(current - at) > tolerance_seconds:
        raise BadSignature("signature timestamp outside the tolerance")
    return at
