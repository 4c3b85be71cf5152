"""Is a websocket upgrade Twilio's? Twilio signs a Media Stream's upgrade request like
its webhooks (HMAC-SHA1 with the account's auth token, base64, ``X-Twilio-Signature``)
over the ``<Stream url>`` it was given and no parameters. The SDK's ``RequestValidator``
implements exactly that (including Twilio's with-or-without-port quirk), so it decides.

``url`` is the public URL Twilio was told, never the one a proxy forwarded to us.
"""

from __future__ import annotations

from twilio.request_validator import RequestValidator


def is_twilio_upgrade(auth_token: str, url: str, signature: str | None) -> bool:
    if not signature or not auth_token or not url:
        return False
    return bool(RequestValidator(auth_token).validate(url, {}, signature))
