"""Telephony port implemented with Twilio's official Python SDK.

The SDK is synchronous (``requests`` underneath), so every call runs in a worker
thread via ``asyncio.to_thread`` to keep the event loop free. ``api_base_url`` points
the very same SDK code path at another host - in development and tests the SIMULATED
carrier (``python -m ringbook_simulators.carrier``) - by changing only the base URL of
the SDK's ``api`` domain, from which it builds every Calls URL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from call_orchestrator.application.telephony import (
    CallNotFound,
    CallRejected,
    CarrierCall,
    PlaceCall,
    TelephonyUnavailable,
)

STATUS_CALLBACK_EVENTS = ("initiated", "ringing", "answered", "completed")
# Twilio's answer to updating a call that has already ended.
_CALL_NOT_ACTIVE = 21220
# Twilio's "The requested resource ... was not found".
_NOT_FOUND = 20404

_T = TypeVar("_T")


def _request_may_have_been_sent(exc: OSError) -> bool:
    # requests wraps urllib3 errors: a failure to open the TCP connection (refused,
    # DNS, connect timeout) proves the carrier never saw the request.
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return not isinstance(reason, ConnectTimeoutError)


def _map_http_error(status: int, code: int | None, message: str) -> Exception:
    if status == 429:
        return TelephonyUnavailable(message, request_may_have_been_sent=False)
    if 400 <= status < 500:
        return CallRejected(message, carrier_code=code)
    # A 5xx may come after the carrier already acted on the request.
    return TelephonyUnavailable(message, request_may_have_been_sent=True)


class TwilioTelephony:
    """Places and ends calls through Twilio (or the simulated carrier)."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        api_base_url: str | None = None,
        *,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._client = Client(
            account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout_seconds)
        )
        if api_base_url is not None:
            self._client.api.base_url = api_base_url.rstrip("/")
            # TWILIO_EDGE/TWILIO_REGION would rewrite the host name of every request.
            self._client.edge = None
            self._client.region = None

    async def place_call(self, call: PlaceCall) -> str:
        def create() -> str:
            # A TwiML URL, not inline TwiML: Twilio asks it (signed, with the CallSid)
            # when the callee answers, and only then can the stream's token name the call.
            created = self._client.calls.create(
                to=call.to,
                from_=call.from_,
                url=call.answer_url,
                method="POST",
                status_callback=call.status_callback_url or None,
                status_callback_event=list(STATUS_CALLBACK_EVENTS),
                status_callback_method="POST",
            )
            return str(created.sid)

        return await self._run("place call", create)

    async def hang_up(self, call_sid: str) -> None:
        def complete() -> None:
            self._client.calls(call_sid).update(status="completed")

        try:
            await self._run("hang up", complete)
        except CallRejected as exc:
            if exc.carrier_code != _CALL_NOT_ACTIVE:
                raise

    async def fetch_call(self, call_sid: str) -> CarrierCall:
        def fetch() -> CarrierCall:
            call = self._client.calls(call_sid).fetch()
            # Twilio renders the duration as a string of whole seconds, null while live.
            return CarrierCall(sid=str(call.sid), status=str(call.status),
                               duration_seconds=float(call.duration or 0))

        try:
            return await self._run("fetch call", fetch)
        except CallRejected as exc:
            if exc.carrier_code == _NOT_FOUND:
                raise CallNotFound(str(exc), carrier_code=exc.carrier_code) from exc
            raise

    async def _run(self, action: str, operation: Callable[[], _T]) -> _T:
        try:
            return await asyncio.to_thread(operation)
        except TwilioRestException as exc:
            code = exc.code if isinstance(exc.code, int) else None
            raise _map_http_error(exc.status, code, f"{action}: {exc.msg}") from exc
        except TwilioServiceException as exc:
            message = f"{action}: {exc.title} {exc.detail or ''}".rstrip()
            raise _map_http_error(exc.status, exc.code, message) from exc
        except OSError as exc:  # requests' exceptions all derive from OSError
            raise TelephonyUnavailable(
                f"{action}: carrier unreachable: {exc}",
                request_may_have_been_sent=_request_may_have_been_sent(exc),
            ) from exc
