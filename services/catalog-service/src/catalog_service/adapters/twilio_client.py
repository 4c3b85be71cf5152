"""The official Twilio SDK client, as catalog-service's Twilio adapters use it.

``api_base_url`` points the same SDK code at another host (the SIMULATED carrier in
development and tests), as call-orchestrator's Twilio adapter does. The SDK is
synchronous: the adapters run each request in a worker thread.
"""

from __future__ import annotations

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client


def twilio_client(account_sid: str, auth_token: str, *, api_base_url: str | None,
                  timeout_seconds: float) -> Client:
    client = Client(account_sid, auth_token,
                    http_client=TwilioHttpClient(timeout=timeout_seconds))
    if api_base_url is not None:
        client.api.base_url = api_base_url.rstrip("/")
        # TWILIO_EDGE/TWILIO_REGION would rewrite the host name of every request.
        client.edge = None
        client.region = None
    return client
