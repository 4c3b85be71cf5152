"""Asking the application for a call's TwiML, as Twilio does.

Two kinds of call get their TwiML from a URL of the application rather than with the
call: an incoming call, from its number's voice URL while it rings; and a call created
with ``Url`` (instead of ``Twiml``), once the callee has answered, because only then
does the application know the call sid it will want in its answer. Either way the
request carries Twilio's voice parameters (CallSid, AccountSid, From, To, Caller,
Called, CallStatus, Direction, ApiVersion, the geographic fields), with the call's
``Method`` (POST by default, GET puts them in the query) and the ``X-Twilio-Signature``
of the status callbacks.

The answer's first ``<Connect><Stream>`` is what the call runs; a document without one
(``<Hangup/>``, ``<Say>`` only) ends the call once it has run. A URL that is unreachable,
answers non-2xx or answers unusable TwiML (Twilio's errors 11200 / 12100) fails the
fetch: :class:`WebhookFailed`.
"""

from __future__ import annotations

import httpx
import phonenumbers

from ringbook_simulators.carrier.callbacks import send_signed
from ringbook_simulators.carrier.records import API_VERSION, CallRecord
from ringbook_simulators.carrier.settings import CarrierSettings
from ringbook_simulators.carrier.twiml import StreamInstruction, TwimlError, extract_stream

_GEO_FIELDS = ("City", "State", "Zip")


class WebhookFailed(Exception):
    """The call's voice URL gave no usable TwiML (Twilio's errors 11200 / 12100)."""


def _country(number: str) -> str:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number, None)) or ""
    except phonenumbers.NumberParseException:
        return ""


def webhook_params(record: CallRecord) -> dict[str, str]:
    """The parameters Twilio sends a voice URL: the call as it is now (ringing for an
    incoming call, in-progress for an answered outbound one)."""
    params = {
        "AccountSid": record.account_sid,
        "ApiVersion": API_VERSION,
        "CallSid": record.sid,
        "CallStatus": record.status.value,
        "Called": record.to,
        "Caller": record.from_,
        "Direction": record.direction,
        "From": record.from_,
        "To": record.to,
    }
    # Twilio sends the geographic fields of both ends, empty where it knows nothing.
    for side, number in (("From", record.from_), ("Caller", record.from_),
                         ("To", record.to), ("Called", record.to)):
        params[f"{side}Country"] = _country(number)
        for name in _GEO_FIELDS:
            params[f"{side}{name}"] = ""
    return params


async def fetch_twiml(
    http: httpx.AsyncClient, settings: CarrierSettings, record: CallRecord
) -> StreamInstruction | None:
    """Ask the call's voice URL; the answer's ``<Connect><Stream>``, if any."""
    url = record.voice_url or ""
    try:
        response = await send_signed(
            http, settings.auth_token, record.voice_method, url, webhook_params(record),
            timeout=settings.incoming_webhook_timeout_seconds,
            headers={"Accept": "text/xml, application/xml"},
        )
    except httpx.HTTPError as exc:
        raise WebhookFailed(f"voice URL {url} unreachable: {type(exc).__name__}: {exc}") from exc
    record.voice_webhook_http_status = response.status_code
    if not response.is_success:
        raise WebhookFailed(f"voice URL {url} answered HTTP {response.status_code}")
    try:
        return extract_stream(response.text)
    except TwimlError as exc:
        raise WebhookFailed(f"voice URL {url} answered unusable TwiML: {exc}") from exc
