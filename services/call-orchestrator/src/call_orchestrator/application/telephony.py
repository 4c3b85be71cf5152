"""The Telephony port: how the call orchestrator places and ends phone calls.

The application layer depends only on this module; adapters (Twilio, or Twilio's
SDK pointed at the simulated carrier) implement ``Telephony``. Errors are split by
what the caller should do next, not by which carrier produced them:

* ``CallRejected``: final for this request - record the attempt as failed.
* ``CallNotFound`` (a ``CallRejected``): the carrier has no call of that sid.
* ``TelephonyUnavailable``: transient - retry later. When
  ``request_may_have_been_sent`` is true the carrier may already be dialling, so a
  retry must first reconcile (e.g. wait for the status callback) to avoid calling
  the same person twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class CallRejected(Exception):
    """The carrier refused this call for good (invalid number, 4xx): retrying the same
    request will not help."""

    def __init__(self, message: str, *, carrier_code: int | None = None) -> None:
        super().__init__(message)
        self.carrier_code = carrier_code


class CallNotFound(CallRejected):
    """The carrier knows no call of this sid (in this account): nobody is on that line."""


class TelephonyUnavailable(Exception):
    """Transient: the carrier could not be reached or answered 5xx/429; the attempt
    outcome is unknown only if the request may have been sent."""

    def __init__(self, message: str, *, request_may_have_been_sent: bool = True) -> None:
        super().__init__(message)
        # Defaults to True: assuming "maybe dialled" is the safe side of the ambiguity.
        self.request_may_have_been_sent = request_may_have_been_sent


@dataclass(frozen=True)
class PlaceCall:
    """An outbound call whose audio is bridged to our media websocket.

    Its TwiML is not given with the call: the carrier asks ``answer_url`` for it once
    the callee answers, when the call sid (which the stream's token must name) is known.
    """

    to: str
    from_: str
    answer_url: str
    status_callback_url: str


@dataclass(frozen=True)
class CarrierCall:
    """What the carrier says of a call now (Twilio's call resource).

    ``status`` is in Twilio's CallStatus vocabulary (``queued``, ``ringing``,
    ``in-progress``, ``completed``, ``busy``, ``no-answer``, ``failed``, ``canceled``),
    the same words its status callbacks carry, so a fetched status can be applied
    exactly as a callback would have been. ``duration_seconds`` is 0 until it has ended.
    """

    sid: str
    status: str
    duration_seconds: float


class Telephony(Protocol):
    async def place_call(self, call: PlaceCall) -> str:
        """Start dialling; returns the carrier's call sid."""
        ...

    async def hang_up(self, call_sid: str) -> None:
        """End the call; idempotent: hanging up an ended call is not an error."""
        ...

    async def fetch_call(self, call_sid: str) -> CarrierCall:
        """The call's current status, asked of the carrier (status callbacks can be lost:
        Twilio does not retry them). Raises CallNotFound for a sid it does not know."""
        ...
