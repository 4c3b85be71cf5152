"""Incoming calls on the SIMULATED carrier: ``POST /simulate/incoming-call``.

This endpoint is the simulator's own, NOT a Twilio API: on the real network an incoming
call starts with somebody dialling one of the account's numbers. The request names who
calls (``from``) and which number (``to``); from then on the carrier does what Twilio
does for such a call:

1. the call is ``ringing``; the number's voice URL gets Twilio's form-encoded webhook
   (CallSid, AccountSid, From, To, Caller, Called, CallStatus=ringing,
   Direction=inbound, ApiVersion, the geographic fields), signed with
   ``X-Twilio-Signature`` exactly like the status callbacks (see ``voice_url``). A
   number the account owns (``phone_numbers``) has the voice URL and method and the
   status callback its IncomingPhoneNumber was given (``SIMCARRIER_INCOMING_CALL_URL``
   and ``SIMCARRIER_INCOMING_STATUS_CALLBACK_URL`` until updated); any other number
   has those settings;
2. the TwiML answer runs: ``<Connect><Stream>`` opens a Media Stream whose ``start``
   carries the ``<Parameter>``s as ``customParameters``, and the caller says its lines
   with the practice's turn taking (see ``practice``): it first listens for the
   business (``SIMCARRIER_CALLER_LISTENS_MS``); if the agent speaks first (a first
   message), the caller asks its question once the agent is done
   (:func:`~ringbook_simulators.realtime.scripts.greeted_caller_lines`), otherwise it
   says hello first, as in the receptionist script
   (:func:`~ringbook_simulators.realtime.scripts.caller_lines`). A ``from`` that is one
   of the SIMULATED booking callers (``realtime.bookings``: ``+393471000001`` books,
   ``+393471000002`` takes the first free slot, ``+393471000003`` cancels) says that
   caller's lines instead (:func:`~ringbook_simulators.realtime.bookings.
   booking_caller_lines`, greeted: ``greeted_booking_caller_lines``). Other verbs (``<Say>``)
   are "played" silently; a document without a stream ends the call once it has run,
   as Twilio hangs up when the TwiML runs out;
3. when the application hangs up (REST ``Status=completed``) or the caller gives up
   (``SIMCARRIER_INCOMING_HOLD_SECONDS``), the final status callback goes to the
   number's status callback URL.

A voice URL that is unreachable, answers non-2xx or answers unusable TwiML fails the
call (Twilio would say "an application error has occurred" and hang up); the request
is then answered 502 with the reason. Bad input is answered 400/422 in Ringbook's JSON
error shape, since this is not a Twilio API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import structlog
from fastapi import Request, Response
from fastapi.responses import JSONResponse
from ringbook.phone import InvalidPhoneNumber, to_e164

from ringbook_simulators.carrier.callbacks import SIMULATOR_NAME
from ringbook_simulators.carrier.phone_numbers import NumberBook, OwnedNumber
from ringbook_simulators.carrier.records import INBOUND, CallRecord, new_sid
from ringbook_simulators.carrier.scenarios import Outcome, Scenario
from ringbook_simulators.carrier.settings import CarrierSettings

if TYPE_CHECKING:  # an annotation only: rest_api builds the runner
    from ringbook_simulators.carrier.call_runner import CallRunner

INCOMING: Final = Scenario(Outcome.ANSWER, "incoming call: the caller talks to the receptionist")

_log = structlog.get_logger("ringbook_simulators.carrier.incoming")


def error(status: int, message: str, details: dict[str, Any] | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "details": details}, status_code=status)


def _number(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str):
        raise InvalidPhoneNumber(field, "a phone number (string) is required")
    return to_e164(value, field=field)


def incoming_record(settings: CarrierSettings, from_: str, to: str,
                    number: OwnedNumber | None = None) -> CallRecord:
    """A new incoming call to ``to``, with the voice URL and status callback of the
    account's ``number`` (for a number it does not own: of the settings)."""
    if number is not None:
        voice_url, voice_method = number.voice_url, number.voice_method
        status_callback, status_method = number.status_callback, number.status_callback_method
    else:
        voice_url, voice_method = settings.incoming_call_url, "POST"
        status_callback, status_method = settings.incoming_status_callback_url, "POST"
    return CallRecord(
        sid=new_sid("CA"),
        account_sid=settings.account_sid,
        to=to,
        from_=from_,
        scenario=INCOMING,
        stream=None,
        status_callback=status_callback or None,
        status_callback_method=status_method,
        # A number's status callback reports only the end of the call by default.
        status_callback_events=frozenset({"completed"}),
        direction=INBOUND,
        voice_url=voice_url,
        voice_method=voice_method,
    )


class IncomingCalls:
    """The handler of ``POST /simulate/incoming-call`` for one carrier app."""

    def __init__(
        self, settings: CarrierSettings, calls: dict[str, CallRecord], runner: CallRunner,
        numbers: NumberBook,
    ) -> None:
        self._settings = settings
        self._calls = calls
        self._runner = runner
        self._numbers = numbers

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
        record = incoming_record(self._settings, from_, to, self._numbers.by_number(to))
        if not record.voice_url:
            return error(409, f"the simulated number {to} has no voice URL (its "
                              "IncomingPhoneNumber's VoiceUrl, else "
                              "SIMCARRIER_INCOMING_CALL_URL, is empty)")
        self._calls[record.sid] = record
        _log.info("simulated incoming call", call_sid=record.sid, from_=from_, to=to,
                  voice_url=record.voice_url)
        failure = await self._runner.ring_in(record)
        view = {"simulator": SIMULATOR_NAME, **record.to_simulator_view()}
        if failure is not None:
            return error(502, failure, view)
        return JSONResponse(view, status_code=201)
