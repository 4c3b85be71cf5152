"""Importing a number of the Twilio account (TELEPHONY_PROVIDER=twilio), with Twilio's
official SDK: find it in ``IncomingPhoneNumbers`` (listed by ``PhoneNumber``), then point
its voice webhook at call-orchestrator's ``/webhook/incoming-call`` and its status
callback at ``/webhook/call-status`` (both POST), so its calls come to us.

The SDK is synchronous, so each request runs in a worker thread. ``api_base_url`` points
the same SDK code at another host (the SIMULATED carrier in development and tests), as
call-orchestrator's Twilio adapter does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from twilio.base.exceptions import (
    TwilioException,
    TwilioRestException,
    TwilioServiceException,
)

from catalog_service.adapters.twilio_client import twilio_client
from catalog_service.application.ports import (
    NumberNotInAccount,
    ProvisionedNumber,
    ProvisioningUnavailable,
)


class TwilioNumbers:
    def __init__(self, account_sid: str, auth_token: str, *, webhook_base_url: str,
                 api_base_url: str | None = None, timeout_seconds: float = 10.0) -> None:
        self._client = twilio_client(account_sid, auth_token, api_base_url=api_base_url,
                                     timeout_seconds=timeout_seconds)
        base = webhook_base_url.rstrip("/")
        self._voice_url = f"{base}/webhook/incoming-call"
        self._status_url = f"{base}/webhook/call-status"

    async def import_number(self, number: str) -> ProvisionedNumber:
        return await self._run(lambda: self._import(number))

    def _import(self, number: str) -> ProvisionedNumber:
        found = self._client.incoming_phone_numbers.list(phone_number=number, limit=1)
        if not found:
            raise NumberNotInAccount(
                f"{number} is not a number of the Twilio account: buy or port it there first")
        updated = self._client.incoming_phone_numbers(found[0].sid).update(
            voice_url=self._voice_url, voice_method="POST",
            status_callback=self._status_url, status_callback_method="POST",
        )
        capabilities: dict[str, Any] = dict(updated.capabilities or found[0].capabilities or {})
        return ProvisionedNumber(
            provider="twilio",
            provider_sid=str(updated.sid),
            friendly_name=updated.friendly_name or None,
            capabilities=capabilities,
        )

    async def _run(self, operation: Callable[[], ProvisionedNumber]) -> ProvisionedNumber:
        try:
            return await asyncio.to_thread(operation)
        except TwilioRestException as exc:
            raise ProvisioningUnavailable(f"Twilio refused: {exc.status} {exc.msg}") from exc
        except TwilioServiceException as exc:
            raise ProvisioningUnavailable(f"Twilio refused: {exc.status} {exc.title}") from exc
        except TwilioException as exc:  # a list page it refused ("Unable to fetch page")
            raise ProvisioningUnavailable(f"Twilio refused: {exc}") from exc
        except OSError as exc:  # requests' exceptions all derive from OSError
            raise ProvisioningUnavailable(f"Twilio unreachable: {exc}") from exc
