"""Verifying that a webhook (status callback) really comes from Twilio.

Twilio signs each request with HMAC-SHA1 keyed by the account's auth token over the
full request URL followed by the POST parameters sorted by name, and sends the
base64 digest as ``X-Twilio-Signature``. The SDK's ``RequestValidator`` implements
exactly that, including Twilio's quirk of signing URLs with or without the port, so
we delegate to it rather than re-implementing the algorithm.

``url`` must be the URL Twilio requested - the public one, as configured in
``StatusCallback`` - not the one a reverse proxy forwarded to us.
"""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator


def is_valid_twilio_signature(
    auth_token: str, url: str, params: Mapping[str, str], signature: str | None
) -> bool:
    """True only if ``signature`` matches ``url`` and ``params`` under ``auth_token``."""
    if not signature or not auth_token:
        return False
    # RequestValidator looks values up by key, so hand it a plain dict it can index.
    return bool(RequestValidator(auth_token).validate(url, dict(params), signature))
