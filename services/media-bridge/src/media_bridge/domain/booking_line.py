"""A business number that takes bookings (seed 004), and what a call on it adds to the
model's session: the four booking functions, today's date where the business is, the
caller's number and how to book. Pure: no I/O.

The functions' names and schemas, and the wording of the today and caller lines, are
the kernel's (``ringbook.contracts.bookings``): catalog-service answers the functions
and the simulated realtime model reads those lines, so none of them is ours to reword.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from ringbook.contracts.bookings import (
    BOOKING_FUNCTION_SCHEMAS,
    BOOKING_FUNCTIONS,
    caller_line,
    today_line,
)

from media_bridge.domain.booking_call import END_CALL, SessionSpec, ToolSpec

BOOKING_TOOLS = tuple(
    ToolSpec(name, str(BOOKING_FUNCTION_SCHEMAS[name]["description"]),
             dict(BOOKING_FUNCTION_SCHEMAS[name]["parameters"]))
    for name in BOOKING_FUNCTIONS
)

_HOW_TO_BOOK = (
    "You take bookings for {business}: its slots have a limited number of places. "
    "Before booking, call check_slot_availability; dates are YYYY-MM-DD and times HH:MM "
    "(24-hour) in the business's time zone, and words such as tomorrow, domani or morgen "
    "count from today's date above. If a slot is full, offer the free slots the tool "
    "names. After book_spa_slot, read the booking reference back to the caller. To "
    "cancel, ask for the reference and call cancel_booking. Say the tools' messages in "
    "the caller's language."
)

# Languages of the business's country, for the functions' messages and the SMS when no
# assistant says which language the call is in (country calling codes, ITU-T E.164).
_COUNTRY_LANGUAGES = (("+39", "it-IT"), ("+49", "de-DE"), ("+43", "de-DE"), ("+41", "de-CH"))


@dataclass(frozen=True)
class BookingLine:
    tenant_id: uuid.UUID
    number: str  # E.164
    timezone: str  # IANA
    business_name: str

    def language(self) -> str:
        return next((lang for code, lang in _COUNTRY_LANGUAGES
                     if self.number.startswith(code)), "en")


def with_bookings(spec: SessionSpec, line: BookingLine, now: datetime,
                  caller: str | None) -> SessionSpec:
    """``spec`` with the booking functions before its ``end_call`` and the booking
    lines after its instructions. A tool of the same name already offered (a business's
    own HTTP tool) gives way: the model cannot tell two tools of one name apart."""
    lines = [spec.instructions, today_line(now, line.timezone)]
    if caller:
        lines.append(caller_line(caller))
    lines.append(_HOW_TO_BOOK.format(business=line.business_name.strip() or "the business"))
    names = set(BOOKING_FUNCTIONS)
    kept = [t for t in spec.tools if t.name not in names and t.name != END_CALL]
    ending = [t for t in spec.tools if t.name == END_CALL]
    return replace(spec, instructions="\n".join(lines),
                   tools=(*kept, *BOOKING_TOOLS, *ending))
