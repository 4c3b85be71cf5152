"""A business's opening hours as the catalog stores them, and the rules for accepting
them. Pure: validation only, no I/O (zoneinfo reads the bundled tzdata, nothing else).

The hours themselves (``"mon-fri 08:00-18:00"``) are interpreted by call-orchestrator;
here they are only bounded text, so the catalog never rejects a format the orchestrator
has learned and the catalog has not.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from functools import cache
from zoneinfo import available_timezones

from ringbook.phone import InvalidPhoneNumber, to_e164

MAX_WEEKLY_HOURS_CHARS = 500
_DIALABLE = re.compile(r"\+[0-9][0-9 ().-]{1,40}")


class InvalidBusinessHours(ValueError):
    pass


@dataclass(frozen=True)
class BusinessHours:
    number: str  # E.164
    tenant_id: uuid.UUID
    weekly_hours: str
    timezone: str | None


def e164(raw: str) -> str:
    """The number in canonical E.164 form, or InvalidBusinessHours.

    The platform's one rule for numbers (``ringbook.phone``): the country code is
    required (no region to guess from), extensions are refused, and the number must be
    valid in its country's numbering plan, so the key here matches what others dial.
    """
    # libphonenumber reads letters as vanity digits ("+4930l23456" with an "l" becomes
    # ...523456): a typo would silently become another business's number. Only digits
    # and the usual separators are accepted.
    if not _DIALABLE.fullmatch(raw.strip()):
        raise InvalidBusinessHours("a phone number is '+', a country code and digits only")
    try:
        return to_e164(raw, field="number")
    except InvalidPhoneNumber as exc:
        raise InvalidBusinessHours(exc.reason) from None


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
    stripped = text.strip()
    if not stripped:
        raise InvalidBusinessHours("weekly_hours must not be empty")
    if len(stripped) > MAX_WEEKLY_HOURS_CHARS:
        raise InvalidBusinessHours(
            f"weekly_hours must be at most {MAX_WEEKLY_HOURS_CHARS} characters"
        )
    return stripped


def business_hours(
    number: str, tenant_id: uuid.UUID, weekly_hours: str, timezone: str | None
) -> BusinessHours:
    """Validate and normalize everything, or raise InvalidBusinessHours."""
    return BusinessHours(
        number=e164(number),
        tenant_id=tenant_id,
        weekly_hours=weekly_hours_text(weekly_hours),
        timezone=None if timezone is None else iana_zone(timezone),
    )
