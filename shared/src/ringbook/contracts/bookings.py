"""Capacity-limited slots and their bookings (seed 004): the booking functions a model or
an external agent calls, and the events catalog-service writes on the CATALOG stream.

A business with slots is a client or a phone number (``business_kind``, ``business_id``)
and is reached at one E.164 number. Its weekly slots and exceptions are one aggregate,
``slot_schedule``, whose id is :func:`slot_schedule_id` of the business, so each business
has one history. Each booking is an aggregate of its own: ``booking_made``, then at most
one ``booking_cancelled``.

The four function names, their JSON Schemas (:data:`BOOKING_FUNCTION_SCHEMAS`) and the
function handler's request body (:class:`FunctionCallRequest`) are shared by
media-bridge (which offers the functions to the realtime model and forwards its calls)
and catalog-service (which answers them): seed 004 fixes the names and the result
shapes, so neither side may change them alone.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from ringbook.contracts.catalogue import register
from ringbook.contracts.streams import CATALOG
from ringbook.events import EventData

SLOT_SCHEDULE = "slot_schedule"
BOOKING = "booking"

BusinessKind = Literal["client", "phone_number"]
BookingSource = Literal["call", "function_handler", "api"]

_SCHEDULE_NAMESPACE = uuid.UUID("0d7c5f0e-2a34-4f61-9d0b-7b1e6c8a4d21")


def slot_schedule_id(business_kind: BusinessKind, business_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(_SCHEDULE_NAMESPACE, f"{business_kind}:{business_id}")


# --- the functions (seed 004's names) -------------------------------------------------------

CHECK_SLOT_AVAILABILITY: Final = "check_slot_availability"
BOOK_SPA_SLOT: Final = "book_spa_slot"
GET_DAILY_AVAILABILITY: Final = "get_daily_availability"
CANCEL_BOOKING: Final = "cancel_booking"
BOOKING_FUNCTIONS: Final = (CHECK_SLOT_AVAILABILITY, BOOK_SPA_SLOT, GET_DAILY_AVAILABILITY,
                            CANCEL_BOOKING)

_DATE = {"type": "string", "description": "The day, YYYY-MM-DD, in the business's time zone"}
_TIME = {"type": "string", "description": "HH:MM, 24-hour, the business's local time"}

# As the realtime model receives them (``session.tools`` entries without ``type``).
BOOKING_FUNCTION_SCHEMAS: Final[dict[str, dict[str, Any]]] = {
    CHECK_SLOT_AVAILABILITY: {
        "description": "Check whether the slot starting at start_time on date has places "
                       "left. A full slot answers the nearest free slots.",
        "parameters": {"type": "object", "properties": {"date": _DATE, "start_time": _TIME},
                       "required": ["date", "start_time"], "additionalProperties": False},
    },
    BOOK_SPA_SLOT: {
        "description": "Book one place in a slot for the caller. Read the reference back.",
        "parameters": {
            "type": "object",
            "properties": {
                "customer_name": {"type": "string", "description": "The caller's full name"},
                "customer_phone": {"type": "string",
                                   "description": "The caller's number; empty: the number "
                                                  "they call from"},
                "date": _DATE, "start_time": _TIME, "end_time": _TIME,
            },
            "required": ["customer_name", "date", "start_time"],
            "additionalProperties": False,
        },
    },
    GET_DAILY_AVAILABILITY: {
        "description": "Every slot of a day with its bookings and free places.",
        "parameters": {"type": "object", "properties": {"date": _DATE},
                       "required": ["date"], "additionalProperties": False},
    },
    CANCEL_BOOKING: {
        "description": "Cancel a booking by its reference (like SPA-000123); the caller's "
                       "number must be the one it was booked with.",
        "parameters": {
            "type": "object",
            "properties": {"reference": {"type": "string"},
                           "customer_phone": {"type": "string",
                                              "description": "Empty: the calling number"}},
            "required": ["reference"], "additionalProperties": False,
        },
    },
}


class FunctionContext(BaseModel):
    """Where a function call comes from. ``to`` is the business's number (as on a call);
    ``call_sid`` with ``tool_call_id`` names one model tool call, so its repeat is a
    no-op; ``language`` (BCP 47) is the caller's, for the message and the SMS."""

    model_config = ConfigDict(extra="ignore")

    to: str | None = Field(default=None, max_length=32)
    customer_phone: str | None = Field(default=None, max_length=32)
    call_sid: str | None = Field(default=None, max_length=64)
    session_id: str | None = Field(default=None, max_length=64)
    tool_call_id: str | None = Field(default=None, max_length=128)
    language: str | None = Field(default=None, max_length=35)


class FunctionCallRequest(BaseModel):
    """``POST /api/function-handler``'s body (seed 004)."""

    model_config = ConfigDict(extra="forbid")

    function_name: str = Field(max_length=64)
    arguments: dict[str, Any] = Field(default_factory=dict)
    context: FunctionContext = Field(default_factory=FunctionContext)


# --- the lines a model is given ------------------------------------------------------------

# Relative dates ("domani", "morgen") resolve against this line; the simulated model
# reads it back with TODAY_PATTERN, so both sides agree on one wording.
TODAY_PATTERN: Final = re.compile(r"^Today is (\w+), (\d{4}-\d{2}-\d{2}) \(([^)]+)\)\.$",
                                  re.MULTILINE)
CALLER_PATTERN: Final = re.compile(r"^The caller's number is (\+\d{6,15})\.$", re.MULTILINE)


def today_line(now: datetime, timezone: str) -> str:
    local = now.astimezone(ZoneInfo(timezone))
    return f"Today is {local:%A}, {local.date().isoformat()} ({timezone})."


def caller_line(number: str) -> str:
    return f"The caller's number is {number}."


def booking_reference(prefix: str, number: int) -> str:
    """``SPA-000123``: the prefix and the booking's number, six digits at least."""
    return f"{prefix}-{number:06d}"


# --- events ----------------------------------------------------------------------------------


class WeeklySlot(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    weekday: int = Field(ge=0, le=6)  # Monday 0, as datetime.weekday()
    start: time
    end: time
    capacity: int = Field(ge=1, le=10_000)


class SlotException(BaseModel):
    """One day that differs: closed, or every slot of that day with another capacity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: date
    closed: bool = False
    capacity: int | None = Field(default=None, ge=0, le=10_000)


class SlotScheduleSet(EventData):
    """The business's whole schedule after the change (a snapshot)."""

    tenant_id: uuid.UUID
    business_kind: BusinessKind
    business_id: uuid.UUID
    business_name: str
    number: str  # E.164, where callers reach the business
    timezone: str  # IANA
    reference_prefix: str
    weekly: list[WeeklySlot]
    exceptions: list[SlotException] = Field(default_factory=list)


class SlotScheduleCleared(EventData):
    tenant_id: uuid.UUID
    business_kind: BusinessKind
    business_id: uuid.UUID
    number: str


class BookingMade(EventData):
    tenant_id: uuid.UUID
    booking_number: int
    reference: str
    business_kind: BusinessKind
    business_id: uuid.UUID
    business_name: str
    number: str  # the business's
    booking_date: date
    slot_start: time
    slot_end: time
    customer_name: str
    customer_phone: str
    language: str | None = None
    source: BookingSource
    call_sid: str | None = None


class BookingCancelled(EventData):
    tenant_id: uuid.UUID
    reference: str
    business_kind: BusinessKind
    business_id: uuid.UUID
    booking_date: date
    slot_start: time
    source: BookingSource


def _register() -> None:
    for type_, aggregate, model in (
        ("slot_schedule_set", SLOT_SCHEDULE, SlotScheduleSet),
        ("slot_schedule_cleared", SLOT_SCHEDULE, SlotScheduleCleared),
        ("booking_made", BOOKING, BookingMade),
        ("booking_cancelled", BOOKING, BookingCancelled),
    ):
        register(type_, aggregate=aggregate, stream=CATALOG, model=model)


_register()
