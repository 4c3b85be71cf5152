"""The conversations the SIMULATED realtime model follows, chosen by the session.

This is not AI: every agent line and tool call is written down here, or made by a
plain rule from what the session offers. On an outbound call the bridge puts a line
``Number called: +49305550100`` into the session instructions; that number picks the
script, just as the simulated carrier picks a callee behaviour by number. An inbound
call has no such line; its tools pick the script (:func:`script_key`).

====================  ==============================================================
Session               Conversation
====================  ==============================================================
``Number called:``    (outbound, by the number)
``+49305550100``      Practice offers Monday 10:30; agent books it, confirms, hangs up.
``+49305550103``      Nothing free this week; agent reports no availability, hangs up.
``+49305550104``      Practice interrupts the agent's first (long) reply, then books
                      like ``+49305550100``.
any other number      Same as ``+49305550100``.
no number line,       Inbound, a SIMULATED booking caller (``bookings`` has the turns;
``book_spa_slot``, a  "tomorrow" is the ``Today is`` line's date + 1):
caller line naming    ``+393471000001`` books tomorrow 10:00 and says the ``message``;
``+39347100000[123]`` ``+393471000002`` is told tomorrow 10:00 is full and books the
                      first alternative; ``+393471000003`` cancels the reference this
                      process last told ``+393471000001`` (none: ``SPA-000000``). Any
                      other caller: as below.
no number line, a     Inbound, a configured assistant (:data:`ASSISTANT`, see
tool of its own or    ``assistant``): the caller says hello and the agent greets (the
``search_knowledge``  opening); the caller asks :data:`ASSISTANT_QUESTION`; the agent
                      calls the first tool that is not a built-in one (``end_call``,
                      ``search_knowledge``, ``book_appointment``,
                      ``report_no_availability``, the booking functions) with
                      arguments made from its JSON Schema, waits for the output and
                      says ``The system says: `` and the first 200 characters of the
                      body as JSON text; then, if
                      ``search_knowledge`` is offered, calls it with the question as
                      ``query`` and says ``According to our documents: `` and up to 300
                      characters of the first passage (none: ``I could not find that
                      in our documents.``); the caller says goodbye, the agent says
                      goodbye and calls ``end_call``.
no number line, no    Inbound, the receptionist (:data:`RECEPTIONIST`): the caller
such tool             says hello and the agent greets (the opening); the caller asks
                      for the opening hours, the agent gives them; the caller says
                      goodbye, the agent says goodbye and calls ``end_call``.
====================  ==============================================================

Any session: a ``response.create`` whose ``response.instructions`` start with
:data:`FIRST_MESSAGE_PREFIX` (media-bridge's way to ask for an assistant's first
message) is answered by the agent saying exactly the rest, as a line of its own; it
takes the place of the opening, so the script goes on with the caller's question.

The other party's turns are exported (:func:`practice_lines`, :func:`caller_lines`,
:func:`greeted_caller_lines`; a booking caller's: :func:`booking_caller_lines`,
:func:`greeted_booking_caller_lines`) so the simulated carrier can play the practice's or
the caller's side with matching texts and durations. An inbound caller cannot see the
session, so it follows what it hears (``carrier.practice``): greeted first (a first
message), it says :func:`greeted_caller_lines`; otherwise :func:`caller_lines`, which
have the same turns as the assistant script's caller, so either script is played
through to its ``end_call``; the transcript is always the model's script.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, Final

from ringbook_simulators.realtime.assistant import (
    ASSISTANT,
    ASSISTANT_QUESTION,
    FIRST_MESSAGE_PREFIX,
    assistant_script,
    first_message,
    follows_assistant,
)
from ringbook_simulators.realtime.bookings import (
    BOOKING_CALLER,
    CANCEL_CALLER,
    FULL_SLOT_CALLER,
    booking_caller,
    booking_caller_lines,
    booking_script,
    greeted_booking_caller_lines,
)
from ringbook_simulators.realtime.protocol import SIMULATOR_INSTRUCTIONS
from ringbook_simulators.realtime.turns import PracticeLine, Script, ToolCall, Turn, other_side

__all__ = [
    "ASSISTANT", "ASSISTANT_QUESTION", "BARGE_IN_NUMBER", "BOOKING_CALLER", "BOOKING_NUMBER",
    "CANCEL_CALLER", "FIRST_MESSAGE_PREFIX", "FULL_SLOT_CALLER", "NO_AVAILABILITY_NUMBER",
    "PRACTICE_NAME", "RECEPTIONIST", "PracticeLine", "Script", "ToolCall", "Turn",
    "booking_caller_lines", "caller_lines", "first_message", "greeted_booking_caller_lines",
    "greeted_caller_lines",
    "next_monday", "number_called", "practice_lines", "script_for", "script_key",
]

PRACTICE_NAME: Final = "Praxis Dr. Müller"
BOOKING_NUMBER: Final = "+49305550100"
NO_AVAILABILITY_NUMBER: Final = "+49305550103"
BARGE_IN_NUMBER: Final = "+49305550104"
# The key of the inbound script: nobody was called, somebody rang the business.
RECEPTIONIST: Final = "receptionist"

_NUMBER_CALLED = re.compile(r"Number called:\s*(\+\d{6,15})")


def next_monday(today: date) -> date:
    """The first Monday strictly after ``today`` (a Monday gives next week's)."""
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)


def number_called(instructions: str | None) -> str | None:
    """The E.164 number from the bridge's ``Number called: ...`` instruction line."""
    match = _NUMBER_CALLED.search(instructions or "")
    return match.group(1) if match else None


def script_key(instructions: str | None, tools: Sequence[Any] = ()) -> str | None:
    """Which script a session's instructions and tools select.

    * a ``Number called:`` line (the bridge's outbound instructions): that number;
    * else ``book_spa_slot`` among the tools and a caller line naming a booking caller
      (``bookings``): that caller's number;
    * no such line, and a tool of the business's own or ``search_knowledge`` among the
      ``tools``: :data:`ASSISTANT`;
    * instructions set by the client without one: :data:`RECEPTIONIST`. On an inbound
      call nobody was dialled, so the bridge names no number, and its instructions are
      the business's own text (``RECEPTIONIST_INSTRUCTIONS``, any language): the absent
      line is the one marker that does not depend on how that text is worded;
    * no instructions, or the simulator's own default (the client never set any): None,
      which plays the default booking script, as before the receptionist existed.
    """
    number = number_called(instructions)
    if number is not None:
        return number
    caller = booking_caller(instructions, tools)
    if caller is not None:
        return caller
    if follows_assistant(tools):
        return ASSISTANT
    if not instructions or instructions == SIMULATOR_INSTRUCTIONS:
        return None
    return RECEPTIONIST


def _practice(text: str, barge_in_after_ms: int | None = None) -> Turn:
    return Turn("practice", text=text, barge_in_after_ms=barge_in_after_ms)


def _agent(text: str | None = None, tool: ToolCall | None = None) -> Turn:
    return Turn("agent", text=text, tool=tool)


_GREETING = _practice(f"{PRACTICE_NAME}, guten Tag.")
_ASK = _agent(
    "Guten Tag, hier ist der digitale Assistent von Ringbook. Ich möchte gern einen "
    "Termin für eine Zahnreinigung vereinbaren. Wann hätten Sie etwas frei?"
)
_OFFER = _practice("Am Montag um 10:30 Uhr hätten wir etwas frei.")
_GOODBYE_BOOKED = _agent(
    "Wunderbar, dann ist der Termin am Montag um 10:30 Uhr eingetragen. Vielen Dank "
    "und auf Wiederhören!",
    ToolCall("end_call", {"reason": "booked"}),
)


def _booking_turns(today: date) -> tuple[Turn, ...]:
    booking = ToolCall(
        "book_appointment",
        {
            "date": next_monday(today).isoformat(),
            "time": "10:30",
            "with_whom": PRACTICE_NAME,
            "notes": "Zahnreinigung",
        },
    )
    return (_OFFER, _agent(tool=booking), _GOODBYE_BOOKED)


def _booking(number: str, today: date) -> Script:
    return Script(
        number,
        "books the earliest slot offered (Monday 10:30)",
        (_GREETING, _ASK, *_booking_turns(today)),
    )


def _no_availability(today: date) -> Script:
    del today  # same shape as the other builders; this script has no dates
    return Script(
        NO_AVAILABILITY_NUMBER,
        "nothing free this week; callback requested",
        (
            _GREETING,
            _ASK,
            _practice(
                "Leider ist diese Woche nichts frei. Rufen Sie bitte nächste Woche wieder an."
            ),
            _agent(
                tool=ToolCall(
                    "report_no_availability",
                    {
                        "reason": "Diese Woche keine freien Termine; die Praxis bittet um "
                        "einen Anruf nächste Woche.",
                        "callback_requested": True,
                    },
                )
            ),
            _agent(
                "Alles klar, dann melden wir uns nächste Woche wieder. Vielen Dank und auf "
                "Wiederhören!",
                ToolCall("end_call", {"reason": "no_availability"}),
            ),
        ),
    )


def _barge_in(today: date) -> Script:
    # The first reply is deliberately long (~11 s) so that the practice, starting to
    # speak 1.5 s into it, interrupts it mid-sentence.
    long_intro = _agent(
        "Guten Tag, hier ist der digitale Assistent von Ringbook. Ich rufe im Auftrag "
        "einer Patientin an, die gern einen Termin für eine Zahnreinigung hätte, am "
        "liebsten vormittags in der kommenden Woche."
    )
    return Script(
        BARGE_IN_NUMBER,
        "practice interrupts the agent's first reply, then books Monday 10:30",
        (
            _GREETING,
            long_intro,
            _practice("Moment, worum geht es denn genau?", barge_in_after_ms=1500),
            _agent("Um einen Termin für eine Zahnreinigung. Wann hätten Sie etwas frei?"),
            *_booking_turns(today),
        ),
    )


def _receptionist() -> Script:
    # The caller's first line is long on purpose: the bridge forwards no audio until
    # the model session is configured, so a short "Hallo?" could be lost entirely.
    return Script(
        RECEPTIONIST,
        "inbound: the caller asks for the opening hours, then says goodbye",
        (
            Turn("caller", text="Hallo, guten Tag, hier spricht Max Mustermann.", opening=True),
            Turn(
                "agent",
                text="Guten Tag, Sie sprechen mit dem digitalen Empfang von Ringbook. Wie "
                "kann ich Ihnen helfen?",
                opening=True,
            ),
            Turn("caller", text="Wann haben Sie diese Woche geöffnet?"),
            _agent("Wir haben Montag bis Freitag von 8 bis 18 Uhr geöffnet."),
            Turn("caller", text="Vielen Dank, auf Wiederhören!"),
            _agent(
                "Gern geschehen, auf Wiederhören!",
                ToolCall("end_call", {"reason": "caller_done"}),
            ),
        ),
    )


def script_for(number: str | None, today: date, tools: Sequence[Any] = (),
               instructions: str | None = None) -> Script:
    """The script for a :func:`script_key`; unknown or missing numbers book like 0100.

    ``today`` is the date in Europe/Berlin; the booked Monday is derived from it. The
    assistant script is made from the session's ``tools``; a booking caller's dates from
    its ``instructions`` (``bookings.tomorrow``).
    """
    if number in (BOOKING_CALLER, FULL_SLOT_CALLER, CANCEL_CALLER):
        return booking_script(number, instructions)
    if number == ASSISTANT:
        return assistant_script(tools)
    if number == RECEPTIONIST:
        return _receptionist()
    if number == NO_AVAILABILITY_NUMBER:
        return _no_availability(today)
    if number == BARGE_IN_NUMBER:
        return _barge_in(today)
    return _booking(number or BOOKING_NUMBER, today)


def practice_lines(number: str, today: date) -> list[PracticeLine]:
    """The practice's side of the script, for the simulated carrier to play."""
    return other_side(script_for(number, today))


def caller_lines() -> list[PracticeLine]:
    """The inbound caller's side of the receptionist script, for the carrier to play."""
    return other_side(_receptionist())


def greeted_caller_lines() -> list[PracticeLine]:
    """The inbound caller's side once the agent has spoken first (a first message took
    the opening's place): the assistant script's question, then its goodbye."""
    return other_side(assistant_script(()), greeted=True)
