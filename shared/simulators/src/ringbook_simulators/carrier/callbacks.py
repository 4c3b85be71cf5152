"""Status callbacks of the SIMULATED carrier, signed exactly like Twilio signs them.

Twilio posts ``application/x-www-form-urlencoded`` parameters to the call's
``StatusCallback`` URL and signs each request: HMAC-SHA1 keyed with the auth token over
the full URL followed by every POST parameter name+value sorted by name, base64 in
the ``X-Twilio-Signature`` header. ``RequestValidator.compute_signature`` implements
that algorithm, so receivers can verify our callbacks with the real SDK.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import httpx
import structlog
from twilio.request_validator import RequestValidator

from ringbook_simulators.carrier.records import (
    API_VERSION,
    CallbackAttempt,
    CallRecord,
    rfc2822,
    utcnow,
)
from ringbook_simulators.carrier.settings import CarrierSettings

SIMULATOR_HEADER = "X-Simulator"
SIMULATOR_NAME = "ringbook-simulated-carrier"

_log = structlog.get_logger("ringbook_simulators.carrier.callbacks")


def sign(auth_token: str, url: str, params: dict[str, str]) -> str:
    """The ``X-Twilio-Signature`` Twilio would send for this request."""
    return str(RequestValidator(auth_token).compute_signature(url, params))


class StatusCallbackSender:
    """Posts call progress to the application, retrying only unreachable receivers."""

    def __init__(self, http: httpx.AsyncClient, settings: CarrierSettings) -> None:
        self._http = http
        self._settings = settings

    def build_params(self, record: CallRecord, call_status: str, *, final: bool) -> dict[str, str]:
        params = {
            "AccountSid": record.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": record.sid,
            "CallStatus": call_status,
            "CallbackSource": "call-progress-events",
            "Called": record.to,
            "Caller": record.from_,
            "Direction": record.direction,
            "From": record.from_,
            "SequenceNumber": str(len(record.callbacks)),
            "Timestamp": rfc2822(utcnow()),
            "To": record.to,
        }
        if final:
            duration = record.duration_seconds
            params["CallDuration"] = str(duration)
            params["Duration"] = str((duration + 59) // 60)  # billed minutes
        return params

    async def post(self, record: CallRecord, call_status: str, *, final: bool) -> None:
        """Deliver one callback; never raises, as a real carrier never lets it fail a call."""
        url = record.status_callback
        if not url:
            return
        params = self.build_params(record, call_status, final=final)
        attempt_record = CallbackAttempt(
            sequence_number=int(params["SequenceNumber"]),
            call_status=call_status,
            delivered=False,
            http_status=None,
        )
        record.callbacks.append(attempt_record)
        log = _log.bind(call_sid=record.sid, call_status=call_status, url=url)
        attempts = self._settings.callback_attempts
        for attempt in range(1, attempts + 1):
            try:
                response = await self._send(url, record.status_callback_method, params)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # Nothing reached the receiver, so retrying cannot duplicate anything;
                # typically the receiving service is just restarting.
                if attempt == attempts:
                    log.warning("simulated status callback gave up", error=str(exc))
                    return
                await asyncio.sleep(self._settings.callback_backoff_seconds * 2 ** (attempt - 1))
                continue
            except httpx.HTTPError as exc:
                log.warning("simulated status callback failed", error=str(exc))
                return
            attempt_record.http_status = response.status_code
            attempt_record.delivered = response.is_success
            if not response.is_success:
                # Twilio only records error 11200 and moves on; so does the simulator.
                log.warning("status callback receiver answered", status=response.status_code)
            return

    async def _send(self, url: str, method: str, params: dict[str, str]) -> httpx.Response:
        return await send_signed(
            self._http, self._settings.auth_token, method, url, params,
            timeout=self._settings.callback_timeout_seconds,
        )


async def send_signed(
    http: httpx.AsyncClient,
    auth_token: str,
    method: str,
    url: str,
    params: dict[str, str],
    *,
    timeout: float,  # noqa: ASYNC109 - httpx's own per-request timeout, passed through
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A request from "Twilio" to the application (a status callback, a voice URL):
    form-encoded for POST, in the query for GET, signed as Twilio signs each."""
    sent = {
        SIMULATOR_HEADER: SIMULATOR_NAME,
        "User-Agent": "TwilioProxy/1.1 (ringbook-simulated-carrier)",
        **(headers or {}),
    }
    if method.upper() == "GET":
        # Twilio signs a GET over the full URL, its parameters in the query string.
        full_url = url + ("&" if "?" in url else "?") + urlencode(params)
        sent["X-Twilio-Signature"] = sign(auth_token, full_url, {})
        return await http.get(full_url, headers=sent, timeout=timeout)
    sent["X-Twilio-Signature"] = sign(auth_token, url, params)
    return await http.post(url, data=params, headers=sent, timeout=timeout)
