"""The SIMULATED booking callers: three scripted people who ring a business with slots
(seed 004, the spa) and book, book the next free slot, or cancel, through the bridge's
booking functions (``ringbook.contracts.bookings``). Not AI: every line and argument is
written down here; ``scripts`` says when these scripts are chosen.

"Tomorrow" is the day after the date of the bridge's ``Today is ...`` line
(``TODAY_PATTERN``); without one, the day after today in Europe/Rome. A booking reference
the simulator told a caller is remembered process-wide (``RealtimeModelSimulator``'s
caller memory, :func:`remember_booking`), so :data:`CANCEL_CALLER` can cancel the booking
:data:`BOOKING_CALLER` made in an earlier session.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from ringbook.contracts.bookings import (
    BOOK_SPA_SLOT,
    CALLER_PATTERN,
    CANCEL_BOOKING,
    CHECK_SLOT_AVAILABILITY,
    TODAY_PATTERN,
)

from ringbook_simulators.realtime.assistant import END_CALL, function_names
from ringbook_simulators.realtime.turns import (
    REFERENCE,
    PracticeLine,
    Quote,
    Script,
    ToolCall,
    Turn,
    other_side,
)

# SIMULATED callers (Italian mobile numbers); each has a script of its own.
BOOKING_CALLER: Final = "+393471000001"  # books tomorrow 10:00
FULL_SLOT_CALLER: Final = "+393471000002"  # tomorrow 10:00 is full: takes the first free
CANCEL_CALLER: Final = "+393471000003"  # cancels BOOKING_CALLER's booking by reference
BOOKING_CALLERS: Final = (BOOKING_CALLER, FULL_SLOT_CALLER, CANCEL_CALLER)

CUSTOMER_NAME: Final = "Giulia Rossi"
HELLO: Final = f"Buongiorno, sono {CUSTOMER_NAME}."
GREETING: Final = "Buongiorno, grazie per aver chiamato. Come posso aiutarla?"
ASK_TOMORROW: Final = "Vorrei prenotare un posto per domani alle dieci."
TAKE_FIRST: Final = "Va bene, prendo la prima fascia libera."
CANCEL_HELLO: Final = "Pronto, buongiorno."
CANCEL_ASK: Final = (f"Buongiorno, sono {CUSTOMER_NAME}, chiamo da un altro telefono. Vorrei "
                     f"disdire la prenotazione {REFERENCE}, fatta dal numero {BOOKING_CALLER}.")
THANKS: Final = "Perfetto, grazie mille. Arrivederci!"
GOODBYE: Final = "Grazie a lei, arrivederci!"
_ROME: Final = ZoneInfo("Europe/Rome")


def caller_number(instructions: str | None) -> str | None:
    """The number of the bridge's ``The caller's number is ...`` line, if any."""
    match = CALLER_PATTERN.search(instructions or "")
    return match.group(1) if match else None


def tomorrow(instructions: str | None) -> date:
    """The day after the ``Today is ...`` line's date (none: Europe/Rome's today)."""
    match = TODAY_PATTERN.search(instructions or "")
    today = date.fromisoformat(match.group(2)) if match else datetime.now(_ROME).date()
    return today + timedelta(days=1)


def booking_caller(instructions: str | None, tools: Sequence[Any]) -> str | None:
    """The booking caller a session is for: it offers ``book_spa_slot`` and its caller
    line names one of :data:`BOOKING_CALLERS` (the caller is not checked for the
    ``Number called:`` line: ``scripts.script_key`` looks at that first)."""
    number = caller_number(instructions)
    if number in BOOKING_CALLERS and BOOK_SPA_SLOT in function_names(tools):
        return number
    return None


def remember_booking(memory: MutableMapping[str, str], instructions: str | None,
                     tool: str, output: str) -> None:
    """A successful ``book_spa_slot`` output with a reference, in a session whose caller
    line names a number: remember the reference for that number."""
    number = caller_number(instructions)
    if tool != BOOK_SPA_SLOT or number is None:
        return
    try:
        result = json.loads(output)
    except json.JSONDecodeError:
        return
    if (isinstance(result, dict) and result.get("success") is True
            and isinstance(result.get("reference"), str) and result["reference"]):
        memory[number] = result["reference"]


def _agent(text: str | None = None, tool: ToolCall | None = None,
           quote: Quote | None = None) -> Turn:
    return Turn("agent", text=text, tool=tool, quote=quote)


def _check(day: date) -> ToolCall:
    return ToolCall(CHECK_SLOT_AVAILABILITY, {"date": day.isoformat(), "start_time": "10:00"})


def _book(day: date, alternative_of: str | None = None) -> ToolCall:
    return ToolCall(BOOK_SPA_SLOT, {
        "customer_name": CUSTOMER_NAME, "customer_phone": "", "date": day.isoformat(),
        "start_time": "10:00", "end_time": "12:00"}, alternative_of=alternative_of)


_OPENING: Final = (Turn("caller", text=HELLO, opening=True),
                   Turn("agent", text=GREETING, opening=True))
_CLOSING: Final = (Turn("caller", text=THANKS),
                   _agent(GOODBYE, ToolCall(END_CALL, {"reason": "caller_done"})))


def booking_script(number: str, instructions: str | None) -> Script:
    """The script of one of :data:`BOOKING_CALLERS` (any other number: ValueError)."""
    day = tomorrow(instructions)
    if number == BOOKING_CALLER:
        return Script(number, "inbound booking caller: books tomorrow 10:00", (
            *_OPENING, Turn("caller", text=ASK_TOMORROW), _agent(tool=_check(day)),
            _agent(tool=_book(day)), _agent(quote=Quote(BOOK_SPA_SLOT, "message")),
            *_CLOSING))
    if number == FULL_SLOT_CALLER:
        return Script(number, "inbound booking caller: tomorrow 10:00 is full, books the "
                              "first alternative", (
            *_OPENING, Turn("caller", text=ASK_TOMORROW), _agent(tool=_check(day)),
            _agent(quote=Quote(CHECK_SLOT_AVAILABILITY, "message")),
            Turn("caller", text=TAKE_FIRST),
            _agent(tool=_book(day, alternative_of=CHECK_SLOT_AVAILABILITY)),
            _agent(quote=Quote(BOOK_SPA_SLOT, "message")), *_CLOSING))
    if number == CANCEL_CALLER:
        cancel = ToolCall(CANCEL_BOOKING, {"reference": REFERENCE,
                                           "customer_phone": BOOKING_CALLER})
        return Script(number, "inbound booking caller: cancels the booking caller's booking "
                              "by reference", (
            Turn("caller", text=CANCEL_HELLO, opening=True), _OPENING[1],
            Turn("caller", text=CANCEL_ASK, recall=BOOKING_CALLER),
            Turn("agent", tool=cancel, recall=BOOKING_CALLER),
            _agent(quote=Quote(CANCEL_BOOKING, "message")), *_CLOSING))
    raise ValueError(f"{number} is not a SIMULATED booking caller")


def booking_caller_lines(number: str) -> list[PracticeLine] | None:
    """What the booking caller ``number`` says on an inbound call, hello first, for the
    simulated carrier; None if ``number`` is no booking caller. The cancelling caller's
    text has :data:`~ringbook_simulators.realtime.turns.NO_REFERENCE` (the carrier knows
    no reference; only the durations and the number of turns matter to it)."""
    if number not in BOOKING_CALLERS:
        return None
    return other_side(_played(number))


def greeted_booking_caller_lines(number: str) -> list[PracticeLine] | None:
    """:func:`booking_caller_lines` once the agent has spoken first: without the hello."""
    if number not in BOOKING_CALLERS:
        return None
    return other_side(_played(number), greeted=True)


def _played(number: str) -> Script:
    script = booking_script(number, None)
    return Script(script.number, script.description,
                  tuple(turn.resolved({}, {}) if turn.recall else turn for turn in script.turns))
