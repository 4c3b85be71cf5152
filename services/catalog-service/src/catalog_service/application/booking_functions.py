"""The four booking functions a model calls through ``POST /api/function-handler``
(seed 004), answered in the seed's shapes.

Model-facing refusals (a bad or past date, a start that is no slot's, a missing
argument, an unknown function, an unknown booking) are answers, not HTTP errors: the
result carries ``success: false`` (``available: false`` for the check), ``error`` (a
code) and ``message`` (a sentence the model can say back, in the caller's language).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from ringbook.clock import Clock
from ringbook.contracts.bookings import (
    BOOK_SPA_SLOT,
    CANCEL_BOOKING,
    CHECK_SLOT_AVAILABILITY,
    GET_DAILY_AVAILABILITY,
    FunctionCallRequest,
)

from catalog_service.application import bookings
from catalog_service.application.bookings import Booked, SlotState
from catalog_service.application.errors import NotFound
from catalog_service.application.ports import UnitOfWork
from catalog_service.domain.booking_messages import language_of, say
from catalog_service.domain.records import ScheduleRecord
from catalog_service.domain.slots import parse_date, parse_time

Result = dict[str, Any] | list[dict[str, Any]]
MAX_DAYS_AHEAD = 730

_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre"),
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
           "September", "Oktober", "November", "Dezember"),
}


class _Refused(Exception):
    def __init__(self, error: str, message: str, **extra: Any) -> None:
        super().__init__(error)
        self.error, self.message, self.extra = error, message, extra


def spoken_day(day: date, language: str | None) -> str:
    lang = language_of(language)
    month = _MONTHS[lang][day.month - 1]
    if lang == "en":
        return f"{month} {day.day}, {day.year}"
    return f"{day.day}. {month} {day.year}" if lang == "de" else f"{day.day} {month} {day.year}"


def _hhmm(t: time) -> str:
    return f"{t:%H:%M}"


def alternative(s: SlotState) -> dict[str, Any]:
    return {"date": s.day.isoformat(), "start_time": _hhmm(s.start), "end_time": _hhmm(s.end),
            "spots_remaining": s.left}


def _alternatives_text(slots: list[SlotState], language: str | None) -> str:
    if not slots:
        return ""
    listed = ", ".join(f"{spoken_day(s.day, language)} {_hhmm(s.start)}-{_hhmm(s.end)}"
                       for s in slots)
    return say("alternatives", language, list=listed)


def _text(arguments: dict[str, Any], name: str) -> str:
    value = arguments.get(name)
    return value.strip() if isinstance(value, str) else ""


def _day(arguments: dict[str, Any], record: ScheduleRecord, clock: Clock,
         language: str | None) -> date:
    day = parse_date(arguments.get("date"))
    if day is None:
        raise _Refused("invalid_date", say("bad_date", language))
    today = bookings.today_at(record, clock.now())
    if day < today:
        raise _Refused("past_date", say("past_date", language))
    if (day - today).days > MAX_DAYS_AHEAD:
        raise _Refused("date_too_far", say("too_far", language, days=MAX_DAYS_AHEAD))
    return day


def _start(arguments: dict[str, Any], language: str | None) -> time:
    start = parse_time(arguments.get("start_time"))
    if start is None:
        raise _Refused("invalid_start_time", say("missing", language, field="start_time (HH:MM)"))
    return start


def _local_now(record: ScheduleRecord, clock: Clock) -> datetime:
    return clock.now().astimezone(ZoneInfo(record.timezone))


def _started(slot: SlotState, now: datetime) -> bool:
    return slot.day < now.date() or (slot.day == now.date() and slot.start <= now.time())


async def _known_slot(uow: UnitOfWork, clock: Clock, record: ScheduleRecord, day: date,
                      start: time, *, language: str | None
                      ) -> tuple[SlotState, list[SlotState]]:
    """The slot (not started yet) and the free ones nearest it (none started)."""
    slot, alternatives = await bookings.slot_state(uow, record, day, start)
    now = _local_now(record, clock)
    alternatives = [a for a in alternatives if not _started(a, now)]
    if slot is not None and _started(slot, now):
        raise _Refused("slot_started", say(
            "started", language, start=_hhmm(start),
            alternatives=_alternatives_text(alternatives, language)),
            alternatives=[alternative(a) for a in alternatives])
    if slot is None:
        raise _Refused("no_such_slot", say(
            "no_slot", language, start=_hhmm(start), day=spoken_day(day, language),
            alternatives=_alternatives_text(alternatives, language)),
            alternatives=[alternative(a) for a in alternatives])
    return slot, [a for a in alternatives if not _started(a, now)]


async def call_function(uow: UnitOfWork, clock: Clock, record: ScheduleRecord,
                        request: FunctionCallRequest, idempotency_key: str | None) -> Result:
    language = request.context.language
    name = request.function_name
    failure_key = "available" if name == CHECK_SLOT_AVAILABILITY else "success"
    try:
        if name == CHECK_SLOT_AVAILABILITY:
            return await _check(uow, clock, record, request.arguments, language)
        if name == BOOK_SPA_SLOT:
            return await _book(uow, clock, record, request, idempotency_key)
        if name == GET_DAILY_AVAILABILITY:
            return await _daily(uow, clock, record, request.arguments, language)
        if name == CANCEL_BOOKING:
            return await _cancel(uow, clock, record, request)
        raise _Refused("unknown_function", say("unknown_function", language))
    except _Refused as refused:
        return {failure_key: False, "error": refused.error, "message": refused.message,
                **refused.extra}


async def _check(uow: UnitOfWork, clock: Clock, record: ScheduleRecord,
                 arguments: dict[str, Any], language: str | None) -> dict[str, Any]:
    day = _day(arguments, record, clock, language)
    slot, alternatives = await _known_slot(uow, clock, record, day,
                                           _start(arguments, language), language=language)
    if slot.left > 0:
        return {"available": True, "spots_remaining": slot.left,
                "message": say("available", language, spots=slot.left)}
    return {"available": False, "spots_remaining": 0,
            "message": say("full", language,
                           alternatives=_alternatives_text(alternatives, language)),
            "alternatives": [alternative(a) for a in alternatives]}


async def _daily(uow: UnitOfWork, clock: Clock, record: ScheduleRecord,
                 arguments: dict[str, Any], language: str | None) -> list[dict[str, Any]]:
    day = _day(arguments, record, clock, language)
    return [{"slot_start": f"{s.start:%H:%M:%S}", "slot_end": f"{s.end:%H:%M:%S}",
             "bookings_count": s.booked, "spots_available": s.left, "is_full": s.left == 0}
            for s in await bookings.day_slots(uow, record, day)]


async def _book(uow: UnitOfWork, clock: Clock, record: ScheduleRecord,
                request: FunctionCallRequest, idempotency_key: str | None) -> dict[str, Any]:
    arguments, context, language = request.arguments, request.context, request.context.language
    customer_name = _text(arguments, "customer_name")
    if not customer_name:
        raise _Refused("missing_customer_name", say("missing", language, field="customer_name"))
    if len(customer_name) > 200:
        raise _Refused("invalid_customer_name", say("missing", language, field="customer_name"))
    customer_phone = _text(arguments, "customer_phone") or (context.customer_phone or "").strip()
    if not customer_phone:
        raise _Refused("missing_customer_phone",
                       say("missing", language, field="customer_phone"))
    day = _day(arguments, record, clock, language)
    start = _start(arguments, language)
    slot, _ = await _known_slot(uow, clock, record, day, start, language=language)
    given_end = arguments.get("end_time")
    if given_end not in (None, ""):
        end = parse_time(given_end)
        if end != slot.end:
            raise _Refused("invalid_end_time", say(
                "no_slot", language, start=f"{_hhmm(start)}-{given_end}",
                day=spoken_day(day, language), alternatives=""))
    outcome = await bookings.book(
        uow, clock, record, customer_name=customer_name[:200], customer_phone=customer_phone[:32],
        day=day, start=start, idempotency_key=idempotency_key, language=language,
        source="function_handler", call_sid=context.call_sid)
    if not isinstance(outcome, Booked):
        now = _local_now(record, clock)
        free = [a for a in outcome.alternatives if not _started(a, now)]
        raise _Refused("slot_full", say(
            "full", language, alternatives=_alternatives_text(free, language)),
            alternatives=[alternative(a) for a in free])
    row = outcome.row
    return {
        "success": True, "booking_id": row.id, "reference": row.reference,
        "message": say("booked", language, day=spoken_day(row.slot_date, language),
                       start=_hhmm(row.start_time), end=_hhmm(row.end_time),
                       reference=row.reference),
        "details": {"date": row.slot_date.isoformat(),
                    "time": f"{_hhmm(row.start_time)} - {_hhmm(row.end_time)}",
                    "name": row.customer_name},
        **({"replayed": True} if outcome.replayed else {}),
    }


async def _cancel(uow: UnitOfWork, clock: Clock, record: ScheduleRecord,
                  request: FunctionCallRequest) -> dict[str, Any]:
    language = request.context.language
    reference = _text(request.arguments, "reference").upper()
    if not reference:
        raise _Refused("missing_reference", say("missing", language, field="reference"))
    phone = (_text(request.arguments, "customer_phone")
             or (request.context.customer_phone or "").strip())
    try:
        done = await bookings.cancel(uow, clock, reference, source="function_handler",
                                     business_id=record.business_id, customer_phone=phone)
    except NotFound:
        raise _Refused("booking_not_found",
                       say("no_booking", language, reference=reference)) from None
    key = "already_cancelled" if done.already else "cancelled"
    return {"success": not done.already, "reference": done.row.reference,
            "message": say(key, language, reference=done.row.reference),
            **({"error": "already_cancelled"} if done.already else {})}
