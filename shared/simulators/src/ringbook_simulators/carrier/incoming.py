"""Incoming calls on the SIMULATED carrier: ``POST /simulate/incoming-call``.

This endpoint is the simulator's own, NOT a Twilio API: on the real network an incoming
call starts with somebody dialling one of the account's numbers. The request names who
calls (``from``) and which number (``to``); from then on the carrier does what Twilio
does for such a call:

1. the call is ``ringing``; the number's voice URL (``SIMCARRIER_INCOMING_CALL_URL``)
   gets Twilio's form-encoded webhook (CallSid, AccountSid, From, To, Caller, Called,
   CallStatus=ringing, Direction=inbound, ApiVersion, the geographic fields), signed
   with ``X-Twilio-Signature`` exactly like the status callbacks;
2. the TwiML answer runs: ``<Connect><Stream>`` opens a Media Stream whose ``start``
   carries the ``<Parameter>``s as ``customParameters``, and the caller says the
   receptionist script's lines (:func:`~ringbook_simulators.realtime.scripts.caller_lines`)
   with the practice's turn taking. Other verbs (``<Say>``) are "played" silently; a
   document without a stream ends the call once it has run, as Twilio hangs up when
   the TwiML runs out;
3. when the application hangs up (REST ``Status=completed``) or the caller gives up
   (``SIMCARRIER_INCOMING_HOLD_SECONDS``), the final status callback goes to the
   number's status callback URL (``SIMCARRIER_INCOMING_STATUS_CALLBACK_URL``).

A voice URL that is unreachable, answers non-2xx or answers unusable TwiML fails the
call (Twilio would say "an application error has occurred" and hang up); the request
is then answered 502 with the reason. Bad input is answered 400/422 in Ringbook's JSON
error shape, since this is not a Twilio API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import httpx
import phonenumbers
import structlog
from fastapi import Request, Response
from fastapi.responses import JSONResponse
from ringbook.phone import InvalidPhoneNumber, to_e164

from ringbook_simulators.carrier.callbacks import SIMULATOR_HEADER, SIMULATOR_NAME, sign
from ringbook_simulators.carrier.records import (
    API_VERSION,
    INBOUND,
    CallRecord,
    CallStatus,
    new_sid,
)
from ringbook_simulators.carrier.scenarios import Outcome, Scenario
from ringbook_simulators.carrier.settings import CarrierSettings
from ringbook_simulators.carrier.twiml import StreamInstruction, TwimlError, extract_stream

if TYPE_CHECKING:  # the runner imports fetch_twiml from here
    from ringbook_simulators.carrier.call_runner import CallRunner

INCOMING: Final = Scenario(Outcome.ANSWER, "incoming call: the caller talks to the receptionist")
_GEO_FIELDS: Final = ("City", "State", "Zip")

_log = structlog.get_logger("ringbook_simulators.carrier.incoming")


class WebhookFailed(Exception):
    """The number's voice URL gave no usable TwiML (Twilio's errors 11200 / 12100)."""


def error(status: int, message: str, details: dict[str, Any] | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "details": details}, status_code=status)


def _number(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str):
        raise InvalidPhoneNumber(field, "a phone number (string) is required")
    return to_e164(value, field=field)


def incoming_record(settings: CarrierSettings, from_: str, to: str) -> CallRecord:
    """A new incoming call to ``to``, with the number's configured status callback."""
    return CallRecord(
        sid=new_sid("CA"),
        account_sid=settings.account_sid,
        to=to,
        from_=from_,
        scenario=INCOMING,
        stream=None,
        status_callback=settings.incoming_status_callback_url or None,
        status_callback_method="POST",
        # A number's status callback reports only the end of the call by default.
        status_callback_events=frozenset({"completed"}),
        direction=INBOUND,
        voice_url=settings.incoming_call_url,
    )


def _country(number: str) -> str:
    return phonenumbers.region_code_for_number(phonenumbers.parse(number, None)) or ""


def webhook_params(record: CallRecord) -> dict[str, str]:
    """The parameters Twilio posts to a number's voice URL when a call comes in."""
    params = {
        "AccountSid": record.account_sid,
        "ApiVersion": API_VERSION,
        "CallSid": record.sid,
        "CallStatus": CallStatus.RINGING.value,
        "Called": record.to,
        "Caller": record.from_,
        "Direction": INBOUND,
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
    """Post the signed voice webhook; the answer's ``<Connect><Stream>``, if any."""
    url = record.voice_url or ""
    params = webhook_params(record)
    headers = {
        "X-Twilio-Signature": sign(settings.auth_token, url, params),
        "User-Agent": "TwilioProxy/1.1 (ringbook-simulated-carrier)",
        "Accept": "text/xml, application/xml",
        SIMULATOR_HEADER: SIMULATOR_NAME,
    }
    try:
        response = await http.post(
            url, data=params, headers=headers, timeout=settings.incoming_webhook_timeout_seconds
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


class IncomingCalls:
    """The handler of ``POST /simulate/incoming-call`` for one carrier app."""

    def __init__(
        self, settings: CarrierSettings, calls: dict[str, CallRecord], runner: CallRunner
    ) -> None:
        self._settings = settings
        self._calls = calls
        self._runner = runner

    async def simulate(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return error(400, 'the body must be JSON: {"from": "+49...", "to": "+49..."}')
        if not isinstance(body, dict):
            return error(400, 'the body must be a JSON object: {"from": ..., "to": ...}')
        try:
            from_, to = _number(body, "from"), _number(body, "to")
        except InvalidPhoneNumber as exc:
            return error(422, str(exc), {"field": exc.field, "reason": exc.reason})
        if not self._settings.incoming_call_url:
            return error(409, "the simulated number has no voice URL "
                              "(SIMCARRIER_INCOMING_CALL_URL is empty)")
        record = incoming_record(self._settings, from_, to)
        self._calls[record.sid] = record
        _log.info("simulated incoming call", call_sid=record.sid, from_=from_, to=to,
                  voice_url=record.voice_url)
        failure = await self._runner.ring_in(record)
        view = {"simulator": SIMULATOR_NAME, **record.to_simulator_view()}
        if failure is not None:
            return error(502, failure, view)
        return JSONResponse(view, status_code=201)
