"""The subset of Twilio's REST API (Calls, IncomingPhoneNumbers, Messages) served by the
SIMULATED carrier.

Same paths, form-encoded request bodies, JSON resources and error bodies as
``https://api.twilio.com``, so the official ``twilio`` SDK can be pointed here
unchanged. Every response carries ``X-Simulator: ringbook-simulated-carrier``.
Simulator-only extras (not Twilio): ``GET /health``, ``GET /calls`` (every call with
its status history, callbacks and media counters), ``POST /calls/{sid}/dtmf`` and
``POST /simulate/incoming-call`` (somebody calls one of our numbers; see ``incoming``),
``GET /messages`` (every SMS recorded; see ``messages``).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import phonenumbers
import structlog
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import FormData

from ringbook_simulators.carrier.call_runner import CallNotActive, CallRunner
from ringbook_simulators.carrier.callbacks import SIMULATOR_HEADER, SIMULATOR_NAME
from ringbook_simulators.carrier.incoming import IncomingCalls
from ringbook_simulators.carrier.messages import InvalidMessage, MessageBook
from ringbook_simulators.carrier.phone_numbers import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    InvalidUpdate,
    NumberBook,
    OwnedNumber,
)
from ringbook_simulators.carrier.records import API_VERSION, CallRecord, CallStatus, new_sid
from ringbook_simulators.carrier.scenarios import scenario_for
from ringbook_simulators.carrier.settings import CarrierSettings
from ringbook_simulators.carrier.twiml import TwimlError, extract_stream

_log = structlog.get_logger("ringbook_simulators.carrier.api")
_CALLS = f"/{API_VERSION}/Accounts/{{account_sid}}/Calls"
_NUMBERS = f"/{API_VERSION}/Accounts/{{account_sid}}/IncomingPhoneNumbers"
_MESSAGES = f"/{API_VERSION}/Accounts/{{account_sid}}/Messages"
_KNOWN_EVENTS = frozenset({"initiated", "ringing", "answered", "completed"})


def twilio_error(status: int, code: int, message: str) -> JSONResponse:
    """An error body shaped like Twilio's, which the SDK turns into TwilioRestException."""
    return JSONResponse(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status_code=status,
    )


def _is_e164(number: str) -> bool:
    if not number.startswith("+"):
        return False
    try:
        return bool(phonenumbers.is_possible_number(phonenumbers.parse(number, None)))
    except phonenumbers.NumberParseException:
        return False


def _status_callback_events(form: FormData) -> frozenset[str]:
    # The SDK repeats the field; TwiML-style callers send one space-separated value.
    events = {word for value in form.getlist("StatusCallbackEvent") for word in str(value).split()}
    # Twilio's default subscription is the "completed" event only.
    return frozenset(events) if events else frozenset({"completed"})


async def _simulator_header(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    response.headers[SIMULATOR_HEADER] = SIMULATOR_NAME
    return response


def _invalid_create(form: FormData) -> JSONResponse | None:
    """Twilio's validation of a create-call request, or None when it is acceptable."""
    to, from_ = str(form.get("To") or "").strip(), str(form.get("From") or "").strip()
    if not to:
        return twilio_error(400, 21201, "No 'To' number is specified")
    if not from_:
        return twilio_error(400, 21213, "No 'From' number is specified")
    url = str(form.get("Url") or "").strip()
    if not form.get("Twiml"):
        if form.get("ApplicationSid") and not url:
            return twilio_error(400, 21205, "The simulated carrier supports 'Twiml' or 'Url'")
        if not url:
            return twilio_error(400, 21205, "A 'Url', 'ApplicationSid' or 'Twiml' is required")
        if not url.startswith(("http://", "https://")):
            return twilio_error(400, 21205, f"Url is not a valid URL: {url[:200]}")
        if str(form.get("Method") or "POST").upper() not in ("GET", "POST"):
            return twilio_error(400, 21200, "Method must be GET or POST")
    if not _is_e164(to):
        return twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    if not _is_e164(from_):
        return twilio_error(400, 21212, f"The 'From' number {from_} is not a valid number.")
    if str(form.get("StatusCallbackMethod") or "POST").upper() not in ("GET", "POST"):
        return twilio_error(400, 21200, "StatusCallbackMethod must be GET or POST")
    return None


class _CarrierApi:
    """Request handlers; one instance per app, so separate apps never share calls."""

    def __init__(self, settings: CarrierSettings) -> None:
        self.settings = settings
        self.calls: dict[str, CallRecord] = {}
        self.runner = CallRunner(settings)
        self.numbers = NumberBook(settings)
        self.messages = MessageBook()
        self.incoming = IncomingCalls(settings, self.calls, self.runner, self.numbers)

    @asynccontextmanager
    async def lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        _log.info("SIMULATED carrier (not Twilio) starting", account_sid=self.settings.account_sid)
        async with self.runner:
            yield
        _log.info("SIMULATED carrier stopped")

    def _authenticate(self, request: Request, account_sid: str) -> JSONResponse | None:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        user = password = ""
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(encoded).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user = password = ""
        valid = (
            secrets.compare_digest(user.encode(), self.settings.account_sid.encode())
            and secrets.compare_digest(password.encode(), self.settings.auth_token.encode())
            and account_sid == self.settings.account_sid
        )
        return None if valid else twilio_error(401, 20003, "Authenticate")

    def _find(self, request: Request, account_sid: str, call_sid: str) -> CallRecord | JSONResponse:
        if (denied := self._authenticate(request, account_sid)) is not None:
            return denied
        record = self.calls.get(call_sid)
        if record is None or record.account_sid != account_sid:
            path = request.url.path
            return twilio_error(404, 20404, f"The requested resource {path} was not found")
        return record

    async def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "simulator": SIMULATOR_NAME,
            "active_calls": self.runner.active_tasks,
        }

    async def list_calls(self) -> dict[str, Any]:
        views = [record.to_simulator_view() for record in self.calls.values()]
        return {"simulator": SIMULATOR_NAME, "calls": views}

    async def create_call(self, request: Request, account_sid: str) -> Response:
        if (denied := self._authenticate(request, account_sid)) is not None:
            return denied
        form = await request.form()
        if (invalid := _invalid_create(form)) is not None:
            return invalid
        # Inline TwiML is read now; a Url is asked once the callee answers (call_runner).
        stream, url = None, None
        if form.get("Twiml"):
            try:
                stream = extract_stream(str(form["Twiml"]))
            except TwimlError as exc:
                return twilio_error(400, 12100, f"Document parse failure: {exc}")
        else:
            url = str(form["Url"]).strip()
        to = str(form["To"]).strip()
        record = CallRecord(
            sid=new_sid("CA"),
            account_sid=account_sid,
            to=to,
            from_=str(form["From"]).strip(),
            scenario=scenario_for(to),
            stream=stream,
            status_callback=str(form.get("StatusCallback") or "") or None,
            status_callback_method=str(form.get("StatusCallbackMethod") or "POST").upper(),
            status_callback_events=_status_callback_events(form) & _KNOWN_EVENTS,
            voice_url=url,
            voice_method=str(form.get("Method") or "POST").upper(),
        )
        self.calls[record.sid] = record
        self.runner.launch(record)
        _log.info("simulated call created", call_sid=record.sid, to=to, from_=record.from_)
        return JSONResponse(record.to_resource(), status_code=201)

    async def fetch_call(self, request: Request, account_sid: str, call_sid: str) -> Response:
        found = self._find(request, account_sid, call_sid)
        return found if isinstance(found, JSONResponse) else JSONResponse(found.to_resource())

    async def update_call(self, request: Request, account_sid: str, call_sid: str) -> Response:
        found = self._find(request, account_sid, call_sid)
        if isinstance(found, JSONResponse):
            return found
        status = str((await request.form()).get("Status") or "")
        if status not in (CallStatus.COMPLETED, CallStatus.CANCELED):
            return twilio_error(
                400, 20001, "The simulated carrier supports only Status=completed|canceled"
            )
        try:
            self.runner.hang_up(found, CallStatus(status))
        except CallNotActive:
            return twilio_error(400, 21220, "Call is not in-progress. Cannot redirect.")
        _log.info("simulated call updated via REST", call_sid=call_sid, status=found.status.value)
        return JSONResponse(found.to_resource())

    async def list_numbers(self, request: Request, account_sid: str) -> Response:
        if (denied := self._authenticate(request, account_sid)) is not None:
            return denied
        query = request.query_params
        try:
            size = int(query.get("PageSize", DEFAULT_PAGE_SIZE))
            page = int(query.get("Page", 0))
        except ValueError:
            return twilio_error(400, 20001, "PageSize and Page must be integers")
        if not 1 <= size <= MAX_PAGE_SIZE or page < 0:
            return twilio_error(400, 20001, f"PageSize must be 1 to {MAX_PAGE_SIZE}, Page >= 0")
        filters = {k: query[k] for k in ("PhoneNumber", "FriendlyName") if k in query}
        found = self.numbers.matching(filters.get("PhoneNumber"), filters.get("FriendlyName"))
        return JSONResponse(self.numbers.page(found, filters, page=page, size=size))

    def _number(self, request: Request, account_sid: str, sid: str) -> OwnedNumber | JSONResponse:
        if (denied := self._authenticate(request, account_sid)) is not None:
            return denied
        number = self.numbers.by_sid(sid)
        if number is None:
            return twilio_error(404, 20404,
                                f"The requested resource {request.url.path} was not found")
        return number

    async def fetch_number(self, request: Request, account_sid: str, sid: str) -> Response:
        found = self._number(request, account_sid, sid)
        return found if isinstance(found, JSONResponse) else JSONResponse(found.to_resource())

    async def update_number(self, request: Request, account_sid: str, sid: str) -> Response:
        found = self._number(request, account_sid, sid)
        if isinstance(found, JSONResponse):
            return found
        form = {key: str(value) for key, value in (await request.form()).items()}
        try:
            found.update(form)
        except InvalidUpdate as exc:
            return twilio_error(400, exc.code, str(exc))
        _log.info("simulated number configured", sid=sid, number=found.phone_number,
                  voice_url=found.voice_url, status_callback=found.status_callback)
        return JSONResponse(found.to_resource())

    async def create_message(self, request: Request, account_sid: str) -> Response:
        if (denied := self._authenticate(request, account_sid)) is not None:
            return denied
        form = {key: str(value) for key, value in (await request.form()).items()}
        try:
            record = self.messages.create(account_sid, form)
        except InvalidMessage as exc:
            return twilio_error(400, exc.code, str(exc))
        _log.info("SIMULATED SMS recorded (not sent)", sid=record.sid, to=record.to,
                  chars=len(record.body))
        return JSONResponse(record.to_resource(), status_code=201)

    async def list_messages(self, request: Request, account_sid: str) -> Response:
        if (denied := self._authenticate(request, account_sid)) is not None:
            return denied
        return JSONResponse(self.messages.page(account_sid))

    async def recorded_messages(self) -> dict[str, Any]:
        views = [m.to_resource() for m in self.messages.messages]
        return {"simulator": SIMULATOR_NAME, "messages": views}

    async def press_keys(self, request: Request, call_sid: str) -> Response:
        """Simulator-only: the callee presses keys, sent as Media Streams ``dtmf`` events."""
        record = self.calls.get(call_sid)
        if record is None:
            return twilio_error(404, 20404, f"No simulated call {call_sid}")
        if record.status is not CallStatus.IN_PROGRESS:
            return twilio_error(400, 21220, "Call is not in-progress")
        digits = str((await request.form()).get("Digits") or "")
        for digit in digits:
            record.dtmf_queue.put_nowait(digit)
        return JSONResponse({"queued": len(digits)})


def create_carrier_app(settings: CarrierSettings | None = None) -> FastAPI:
    """Build the simulated carrier; call tasks live only while the app's lifespan runs."""
    api = _CarrierApi(settings or CarrierSettings())
    app = FastAPI(title="Ringbook SIMULATED carrier (plays Twilio)", lifespan=api.lifespan)
    app.state.carrier = api
    app.middleware("http")(_simulator_header)
    app.add_api_route("/health", api.health, methods=["GET"])
    app.add_api_route("/calls", api.list_calls, methods=["GET"])
    app.add_api_route("/calls/{call_sid}/dtmf", api.press_keys, methods=["POST"])
    app.add_api_route("/messages", api.recorded_messages, methods=["GET"])
    app.add_api_route("/simulate/incoming-call", api.incoming.simulate, methods=["POST"])
    app.add_api_route(f"{_CALLS}.json", api.create_call, methods=["POST"], status_code=201)
    app.add_api_route(f"{_CALLS}/{{call_sid}}.json", api.fetch_call, methods=["GET"])
    app.add_api_route(f"{_CALLS}/{{call_sid}}.json", api.update_call, methods=["POST"])
    app.add_api_route(f"{_NUMBERS}.json", api.list_numbers, methods=["GET"])
    app.add_api_route(f"{_NUMBERS}/{{sid}}.json", api.fetch_number, methods=["GET"])
    app.add_api_route(f"{_NUMBERS}/{{sid}}.json", api.update_number, methods=["POST"])
    app.add_api_route(f"{_MESSAGES}.json", api.create_message, methods=["POST"])
    app.add_api_route(f"{_MESSAGES}.json", api.list_messages, methods=["GET"])
    return app
