"""A tenant's opening hours for one number, and the rules for accepting them. Pure.

The hours are accepted only if ``ringbook.weekly_hours.WeeklyHours`` parses them, the
very parser call-orchestrator evaluates them with, so what the catalog accepts is what
the dialer obeys; they are stored in that parser's canonical spelling.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from zoneinfo import available_timezones

from ringbook.weekly_hours import WeeklyHours

MAX_WEEKLY_HOURS_CHARS = 500


class InvalidBusinessHours(ValueError):
    pass


@dataclass(frozen=True)
class BusinessHours:
    number: str  # E.164
    weekly_hours: str  # canonical (str(WeeklyHours))
    timezone: str | None  # IANA; None: derived from the number by the dialer


@cache
def _zones() -> frozenset[str]:
    # Computed on first use (it scans tzdata), never at import.
    return frozenset(available_timezones())


def iana_zone(name: str) -> str:
    """``name`` if it is an IANA time zone key ("Europe/Berlin"), else InvalidBusinessHours."""
    if name not in _zones():
        raise InvalidBusinessHours(f"unknown time zone {name!r} (expected e.g. 'Europe/Berlin')")
    return name


def weekly_hours_text(text: str) -> str:
    """The canonical spelling of ``text`` if call-orchestrator can obey it."""
    stripped = text.strip()
    if not stripped:
        raise InvalidBusinessHours("weekly_hours must not be empty")
    if len(stripped) > MAX_WEEKLY_HOURS_CHARS:
        raise InvalidBusinessHours(
            f"weekly_hours must be at most {MAX_WEEKLY_HOURS_CHARS} characters"
        )
    try:
        return str(WeeklyHours.parse(stripped))
    except ValueError as exc:
        raise InvalidBusinessHours(str(exc)) from None
