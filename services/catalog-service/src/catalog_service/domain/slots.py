"""A business's weekly slots and exceptions, and the rules for accepting and reading
them (seed 004). Pure: no I/O.

A slot is (weekday, start, end, capacity); slots of one weekday may not overlap. An
exception closes one date, or gives every slot of that date another capacity.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ringbook.contracts.bookings import SlotException, WeeklySlot

from catalog_service.domain.business_hours import InvalidBusinessHours, iana_zone

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_PREFIX = "SPA"
_PREFIX = re.compile(r"^[A-Z]{2,6}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(:00)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_SLOTS = 500
MAX_EXCEPTIONS = 1000


class InvalidSchedule(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem


@dataclass(frozen=True)
class Schedule:
    timezone: str
    weekly: tuple[WeeklySlot, ...]
    exceptions: tuple[SlotException, ...]
    reference_prefix: str

    def slots_on(self, day: date) -> list[tuple[time, time, int]]:
        """The (start, end, capacity) of every slot of ``day``, by start."""
        exception = next((e for e in self.exceptions if e.date == day), None)
        if exception is not None and exception.closed:
            return []
        found = sorted((s.start, s.end, s.capacity) for s in self.weekly
                       if s.weekday == day.weekday())
        if exception is not None and exception.capacity is not None:
            return [(start, end, exception.capacity) for start, end, _ in found]
        return found

    def today(self, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.timezone)).date()


def parse_time(text: object) -> time | None:
    """``"10:00"`` or ``"10:00:00"``; None if it is neither."""
    if not isinstance(text, str):
        return None
    match = _HHMM.match(text.strip())
    if match is None:
        return None
    return time(int(match.group(1)), int(match.group(2)))


def parse_date(text: object) -> date | None:
    if not isinstance(text, str) or not _DATE.match(text.strip()):
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _weekday(value: object, field: str) -> int:
    if isinstance(value, bool):
        raise InvalidSchedule(field, "expected 0-6 (Monday 0) or a day name like 'monday'")
    if isinstance(value, int) and 0 <= value <= 6:
        return value
    if isinstance(value, str) and value.strip().lower() in WEEKDAYS:
        return WEEKDAYS.index(value.strip().lower())
    raise InvalidSchedule(field, "expected 0-6 (Monday 0) or a day name like 'monday'")


def _capacity(value: object, field: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= 10_000:
        raise InvalidSchedule(field, f"expected an integer {low}..10000")
    return value


def schedule_from_body(body: dict[str, Any]) -> Schedule:
    """Validate a ``PUT .../slots`` body; raises InvalidSchedule naming the field."""
    allowed = {"timezone", "weekly", "exceptions", "reference_prefix"}
    for key in body:
        if key not in allowed:
            raise InvalidSchedule(key, "unknown field")
    tz = body.get("timezone")
    if not isinstance(tz, str):
        raise InvalidSchedule("timezone", "required: an IANA time zone like 'Europe/Rome'")
    try:
        iana_zone(tz)
    except InvalidBusinessHours as exc:
        raise InvalidSchedule("timezone", str(exc)) from None
    prefix = body.get("reference_prefix", DEFAULT_PREFIX)
    if not isinstance(prefix, str) or not _PREFIX.match(prefix):
        raise InvalidSchedule("reference_prefix", "expected 2-6 uppercase letters, like 'SPA'")
    return Schedule(tz, _weekly(body.get("weekly")), _exceptions(body.get("exceptions", [])),
                    prefix)


def _weekly(weekly_raw: object) -> tuple[WeeklySlot, ...]:
    if not isinstance(weekly_raw, list) or not weekly_raw:
        raise InvalidSchedule("weekly", "required: a non-empty list of slots")
    if len(weekly_raw) > MAX_SLOTS:
        raise InvalidSchedule("weekly", f"at most {MAX_SLOTS} slots")
    weekly: list[WeeklySlot] = []
    for i, raw in enumerate(weekly_raw):
        field = f"weekly[{i}]"
        if not isinstance(raw, dict) or set(raw) - {"weekday", "start", "end", "capacity"}:
            raise InvalidSchedule(field, "expected {weekday, start, end, capacity}")
        start, end = parse_time(raw.get("start")), parse_time(raw.get("end"))
        if start is None:
            raise InvalidSchedule(f"{field}.start", "expected HH:MM")
        if end is None:
            raise InvalidSchedule(f"{field}.end", "expected HH:MM")
        if start >= end:
            raise InvalidSchedule(field, "start must be before end")
        weekly.append(WeeklySlot(weekday=_weekday(raw.get("weekday"), f"{field}.weekday"),
                                 start=start, end=end,
                                 capacity=_capacity(raw.get("capacity"), f"{field}.capacity", 1)))
    weekly.sort(key=lambda s: (s.weekday, s.start))
    for a, b in itertools.pairwise(weekly):
        if a.weekday == b.weekday and b.start < a.end:
            raise InvalidSchedule("weekly", f"slots overlap on {WEEKDAYS[a.weekday]}: "
                                            f"{a.start:%H:%M}-{a.end:%H:%M} and "
                                            f"{b.start:%H:%M}-{b.end:%H:%M}")
    return tuple(weekly)


def _exceptions(exceptions_raw: object) -> tuple[SlotException, ...]:
    if not isinstance(exceptions_raw, list) or len(exceptions_raw) > MAX_EXCEPTIONS:
        raise InvalidSchedule("exceptions", f"expected a list (at most {MAX_EXCEPTIONS})")
    exceptions: dict[date, SlotException] = {}
    for i, raw in enumerate(exceptions_raw):
        field = f"exceptions[{i}]"
        if not isinstance(raw, dict) or set(raw) - {"date", "closed", "capacity"}:
            raise InvalidSchedule(field, "expected {date, closed} or {date, capacity}")
        day = parse_date(raw.get("date"))
        if day is None:
            raise InvalidSchedule(f"{field}.date", "expected YYYY-MM-DD")
        if day in exceptions:
            raise InvalidSchedule(f"{field}.date", "a date may have one exception")
        closed = raw.get("closed", False)
        if not isinstance(closed, bool):
            raise InvalidSchedule(f"{field}.closed", "expected true or false")
        capacity = raw.get("capacity")
        if closed == (capacity is not None):
            raise InvalidSchedule(field, "give either closed: true or a capacity")
        exceptions[day] = SlotException(
            date=day, closed=closed,
            capacity=None if capacity is None else _capacity(capacity, f"{field}.capacity", 0))
    return tuple(sorted(exceptions.values(), key=lambda e: e.date))


def nearest_free(candidates: list[tuple[date, time, time, int]], day: date, start: time,
                 limit: int = 3) -> list[tuple[date, time, time, int]]:
    """The free slots (date, start, end, places left) nearest ``start`` on ``day``, then
    those of later days, at most ``limit``."""
    def distance(c: tuple[date, time, time, int]) -> tuple[int, float]:
        minutes = abs((c[1].hour * 60 + c[1].minute) - (start.hour * 60 + start.minute))
        return ((c[0] - day).days, minutes)

    free = [c for c in candidates if c[3] > 0 and not (c[0] == day and c[1] == start)]
    return sorted(free, key=distance)[:limit]


def next_day(day: date) -> date:
    return day + timedelta(days=1)
