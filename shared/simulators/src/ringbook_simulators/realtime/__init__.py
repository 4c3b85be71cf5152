"""A SIMULATED realtime speech model that speaks the OpenAI Realtime GA protocol.

It is not AI: it follows fixed scripts (``scripts``) chosen by the ``Number called:``
line of the session instructions (without one: the inbound receptionist), hears the
practice or caller with an energy VAD (``vad``) on G.711 μ-law 8 kHz audio, and
answers with a tone whose length matches each scripted line. Run it with
``python -m ringbook_simulators.realtime --port 8200`` and point the official SDK at
``http://127.0.0.1:8200/v1``.
"""

from ringbook_simulators.realtime.bookings import (
    BOOKING_CALLER,
    CANCEL_CALLER,
    FULL_SLOT_CALLER,
    booking_caller_lines,
    greeted_booking_caller_lines,
)
from ringbook_simulators.realtime.records import SessionRecord, Truncation
from ringbook_simulators.realtime.scripts import PracticeLine, Script, practice_lines, script_for
from ringbook_simulators.realtime.server import RealtimeModelSimulator
from ringbook_simulators.realtime.session import RealtimeSession

__all__ = [
    "BOOKING_CALLER",
    "CANCEL_CALLER",
    "FULL_SLOT_CALLER",
    "PracticeLine",
    "RealtimeModelSimulator",
    "RealtimeSession",
    "Script",
    "SessionRecord",
    "Truncation",
    "booking_caller_lines",
    "greeted_booking_caller_lines",
    "practice_lines",
    "script_for",
]
