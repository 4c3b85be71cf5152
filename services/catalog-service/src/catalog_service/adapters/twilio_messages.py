"""Sending an SMS through Twilio's Messages API, with the official SDK (the SIMULATED
carrier records it instead in development and tests)."""

from __future__ import annotations

import asyncio

from twilio.base.exceptions import TwilioRestException

from catalog_service.adapters.twilio_client import twilio_client
from catalog_service.application.booking_sms import SmsRejected

# Twilio answers 400 for a message that can never be sent as it is (a number that is
# not one, or cannot take SMS, or a body out of bounds); 5xx, 429 and connection errors
# may pass, so they propagate and the event is redelivered.
_FOR_GOOD = 400


class TwilioMessages:
    def __init__(self, account_sid: str, auth_token: str, *, api_base_url: str | None,
                 timeout_seconds: float = 10.0) -> None:
        self._client = twilio_client(account_sid, auth_token, api_base_url=api_base_url,
                                     timeout_seconds=timeout_seconds)

    async def send(self, *, to: str, from_: str, body: str) -> str:
        try:
            message = await asyncio.to_thread(
                self._client.messages.create, to=to, from_=from_, body=body)
        except TwilioRestException as exc:
            if exc.status == _FOR_GOOD:
                raise SmsRejected(f"{exc.code}: {exc.msg}") from exc
            raise
        return str(message.sid)
