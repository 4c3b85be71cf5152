"""Weekly business hours, evaluated in the callee's local wall-clock time.

A contract as much as logic: catalog-service accepts a business's hours only if they
parse here, and ``business_hours_set`` carries them as this text, which
call-orchestrator evaluates with the same code, so what is accepted is what is obeyed.
Pure: callers pass the instant and the zone, nothing here reads a clock.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from itertools import groupby, pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as pn_timezone

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
SEARCH_DAYS = 8
# Real zones never change offset twice within an hour, so an hourly scan sees every change.
_SCAN_STEP = timedelta(hours=1)
_WINDOW_RE = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")

Window = tuple[int, int]  # [start, end) in minutes after local midnight


@dataclass(frozen=True)
class WeeklyHours:
    days: tuple[tuple[Window, ...], ...]
    """Seven entries, Monday first; each day's windows sorted and non-overlapping."""

    def __post_init__(self) -> None:
        if len(self.days) != len(DAYS):
            raise ValueError(f"expected windows for {len(DAYS)} days, got {len(self.days)}")
        for name, windows in zip(DAYS, self.days, strict=True):
            for start, end in windows:
                if not 0 <= start < end <= MINUTES_PER_DAY:
                    raise ValueError(f"invalid window {start}-{end} (minutes) on {name}")
            if list(windows) != sorted(windows):
                raise ValueError(f"windows on {name} are not sorted")
            for (s1, e1), (s2, e2) in pairwise(windows):
                if s2 < e1:
                    raise ValueError(
                        f"overlapping windows on {name}: "
                        f"{_window_text((s1, e1))} and {_window_text((s2, e2))}"
                    )

    @classmethod
    def parse(cls, spec: str) -> WeeklyHours:
        clauses = [clause.strip() for clause in spec.lower().split(";")]
        if len(clauses) > 1 and not clauses[-1]:  # a trailing ';' is harmless in an env var
            clauses.pop()
        if clauses == [""]:
            raise ValueError(
                "business hours spec is empty (expected e.g. 'mon-fri 08:00-18:00' or 'always')"
            )
        if clauses == ["always"]:
            return cls(days=(((0, MINUTES_PER_DAY),),) * len(DAYS))
        per_day: list[list[Window]] = [[] for _ in DAYS]
        try:
            for clause in clauses:
                day_indexes, windows = _parse_clause(clause)
                for day in day_indexes:
                    per_day[day].extend(windows)
            return cls(days=tuple(tuple(sorted(windows)) for windows in per_day))
        except ValueError as exc:
            raise ValueError(f"invalid business hours {spec!r}: {exc}") from None

    def __str__(self) -> str:
        if all(windows == ((0, MINUTES_PER_DAY),) for windows in self.days):
            return "always"
        groups: dict[tuple[Window, ...], list[int]] = {}
        for day, windows in enumerate(self.days):
            if windows:
                groups.setdefault(windows, []).append(day)
        return "; ".join(
            f"{_days_text(days)} {','.join(map(_window_text, windows))}"
            for windows, days in groups.items()
        )

    def is_open(self, at: datetime, tz: ZoneInfo) -> bool:
        local = ensure_aware(at).astimezone(tz)
        # Windows are whole minutes, so comparing the truncated minute is exact.
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.days[local.weekday()])

    def next_opening(self, at: datetime, tz: ZoneInfo) -> datetime:
        """`at` in UTC if open then, else the first later instant at which it is open."""
        if not any(self.days):
            raise ValueError("business hours have no open window at all")
        at_utc = ensure_aware(at).astimezone(UTC)
        if self.is_open(at_utc, tz):
            return at_utc
        horizon = at_utc + timedelta(days=SEARCH_DAYS)
        openings = [
            candidate
            for candidate in self._candidates(at_utc, horizon, tz)
            if at_utc < candidate <= horizon and self.is_open(candidate, tz)
        ]
        if not openings:
            raise ValueError(f"no opening within {SEARCH_DAYS} days after {at.isoformat()}")
        return min(openings)

    def _candidates(self, start: datetime, horizon: datetime, tz: ZoneInfo) -> Iterator[datetime]:
        # Opening means the wall clock enters a window: either it reaches a window start (twice
        # when a fall-back repeats the hour, so both folds) or an offset change jumps it into a
        # window (e.g. 02:30 in a spring-forward gap opens at 03:00). So the first opening is
        # always a candidate; extras (such as a resolved non-existent wall time) are harmless,
        # as the caller keeps only truly open instants and takes the earliest.
        first_day = start.astimezone(tz).date() - timedelta(days=1)
        for offset in range(SEARCH_DAYS + 2):
            day = first_day + timedelta(days=offset)
            for window_start, _ in self.days[day.weekday()]:
                wall = datetime.combine(day, time()) + timedelta(minutes=window_start)
                for fold in (0, 1):
                    yield wall.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        yield from _offset_changes(start, horizon, tz)


def ensure_aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"datetime {at.isoformat()} must be timezone-aware")
    return at


@functools.lru_cache(maxsize=4096)  # a pure answer: parsing the number is most of its cost
def callee_timezone(e164: str, fallback: str) -> ZoneInfo:
    """The callee's zone from the number's metadata (the first, if it lists several)."""
    try:
        zones = pn_timezone.time_zones_for_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        zones = ()
    if zones and zones[0] != pn_timezone.UNKNOWN_TIMEZONE:
        try:
            return ZoneInfo(zones[0])
        except (ZoneInfoNotFoundError, ValueError):
            pass  # metadata newer/older than tzdata; the fallback is still a sane guess
    return ZoneInfo(fallback)


# A scan from an hour boundary: (hour, hour + _SCANNED_SPAN] covers every search window
# that starts within that hour (its horizon is SEARCH_DAYS after its start).
_SCANNED_SPAN = timedelta(days=SEARCH_DAYS) + _SCAN_STEP


def _offset_changes(start: datetime, end: datetime, tz: ZoneInfo) -> Iterator[datetime]:
    """Instants in (start, end] at which the UTC offset of `tz` changes; `end` is at most
    SEARCH_DAYS after `start` (a search's horizon), which the remembered scan covers."""
    assert end - start <= timedelta(days=SEARCH_DAYS), "beyond the scanned span"
    hour = start.replace(minute=0, second=0, microsecond=0)
    return (change for change in _offset_changes_after(hour, tz) if start < change <= end)


@functools.lru_cache(maxsize=1024)
def _offset_changes_after(hour: datetime, tz: ZoneInfo) -> tuple[datetime, ...]:
    """Every offset change in (hour, hour + _SCANNED_SPAN], remembered.

    The scan is ~200 conversions, and call-orchestrator asks for the next opening of
    every request it receives; a zone's offsets are a pure function of the instant, so
    a scan made once per zone and hour answers every request of that hour exactly."""
    return tuple(_scan_offset_changes(hour, hour + _SCANNED_SPAN, tz))


def _scan_offset_changes(start: datetime, end: datetime, tz: ZoneInfo) -> Iterator[datetime]:
    def offset(at: datetime) -> timedelta | None:
        return at.astimezone(tz).utcoffset()

    lo = start.replace(microsecond=0)
    while lo < end:
        hi = lo + _SCAN_STEP
        if offset(hi) != offset(lo):
            # tzdata switches on whole seconds, so bisecting down to 1 s finds the exact instant.
            before, after = lo, hi
            while (span := int((after - before).total_seconds())) > 1:
                mid = before + timedelta(seconds=span // 2)
                before, after = (mid, after) if offset(mid) == offset(before) else (before, mid)
            yield after
        lo = hi


def _parse_clause(clause: str) -> tuple[list[int], list[Window]]:
    if clause == "always":
        raise ValueError("'always' must be the whole spec, it cannot be combined with clauses")
    if not clause:
        raise ValueError("empty clause between ';'")
    parts = re.sub(r"\s*([-,])\s*", r"\1", clause).split()
    if len(parts) != 2:
        raise ValueError(
            f"clause {clause!r} must be DAYS then WINDOWS, e.g. 'mon-fri 08:00-18:00' "
            f"(found {len(parts)} space-separated part(s); separate list items with ',')"
        )
    days_text, windows_text = parts
    return _parse_days(days_text), [_parse_window(w) for w in windows_text.split(",")]


def _parse_days(text: str) -> list[int]:
    result: list[int] = []
    for item in text.split(","):
        first, dash, last = item.partition("-")
        lo = _day_index(first, text)
        hi = _day_index(last, text) if dash else lo
        if lo > hi:
            raise ValueError(
                f"day range {item!r} wraps around the week; "
                f"write '{_range_text(0, hi)},{_range_text(lo, 6)}' instead"
            )
        for day in range(lo, hi + 1):
            if day in result:
                raise ValueError(f"day {DAYS[day]!r} is listed twice in {text!r}")
            result.append(day)
    return result


def _day_index(name: str, context: str) -> int:
    if not name:
        raise ValueError(f"missing day name in {context!r}")
    if name not in DAYS:
        raise ValueError(f"unknown day {name!r} (expected one of {', '.join(DAYS)})")
    return DAYS.index(name)


def _parse_window(text: str) -> Window:
    if not text:
        raise ValueError("empty time window (stray ',')")
    match = _WINDOW_RE.fullmatch(text)
    if match is None:
        raise ValueError(f"malformed time window {text!r} (expected HH:MM-HH:MM, e.g. 08:00-18:00)")
    start, end = _minutes(match[1], match[2], text), _minutes(match[3], match[4], text)
    if start == MINUTES_PER_DAY:
        raise ValueError(f"window {text!r} starts at 24:00; 24:00 is only allowed as an end")
    if start >= end:
        raise ValueError(
            f"window {text!r} does not end after it starts "
            "(windows cannot cross midnight; use 24:00 and 00:00 on the next day)"
        )
    return start, end


def _minutes(hh: str, mm: str, window: str) -> int:
    hours, minutes = int(hh), int(mm)
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"invalid time {hh}:{mm} in window {window!r}")
    return hours * 60 + minutes


def _window_text(window: Window) -> str:
    (sh, sm), (eh, em) = divmod(window[0], 60), divmod(window[1], 60)
    return f"{sh:02d}:{sm:02d}-{eh:02d}:{em:02d}"


def _range_text(lo: int, hi: int) -> str:
    return DAYS[lo] if lo == hi else f"{DAYS[lo]}-{DAYS[hi]}"


def _days_text(days: list[int]) -> str:
    # Within a run of consecutive days, day minus position is constant.
    runs = [[d for _, d in run] for _, run in groupby(enumerate(days), lambda p: p[1] - p[0])]
    return ",".join(_range_text(run[0], run[-1]) for run in runs)
