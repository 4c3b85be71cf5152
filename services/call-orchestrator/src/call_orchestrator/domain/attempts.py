"""The life of one call attempt, driven by the carrier's status callbacks.

An attempt moves ``dialing -> placed -> connected -> ended`` or ends ``failed``/``unknown``.
Carriers deliver callbacks at least once and not always in order (a retried ``ringing``
can arrive after ``in-progress``), so every callback is interpreted against the current
state: a step backwards or a repeat yields no effect. That is what makes a duplicated
callback harmless: it produces no second event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


class AttemptState(StrEnum):
    DIALING = "dialing"  # committed before dialing; carrier outcome not yet known
    PLACED = "placed"  # the carrier accepted the call (we know its sid)
    CONNECTED = "connected"  # the callee answered
    ENDED = "ended"  # an answered call hung up
    FAILED = "failed"  # busy, no answer, rejected, or never confirmed

    @property
    def finished(self) -> bool:
        return self in (AttemptState.ENDED, AttemptState.FAILED)


# Dialing, ringing or answered: a call that is (or may be) on the line.
LIVE_STATES = frozenset({AttemptState.DIALING, AttemptState.PLACED, AttemptState.CONNECTED})


@dataclass(frozen=True)
class Attempt:
    id: uuid.UUID
    request_id: uuid.UUID
    attempt: int
    state: AttemptState
    call_sid: str | None
    result: str | None = None  # what the answered call came to (its conversation's outcome)


# Twilio's CallStatus values, grouped by what they mean for us.
_RINGING = {"queued", "initiated", "ringing"}
_FAILURES = {"busy": "busy", "no-answer": "no answer", "failed": "call failed",
             "canceled": "canceled before answer"}


@dataclass(frozen=True)
class Effect:
    """What one callback changes: the new state and which events to emit, in order."""

    state: AttemptState
    started: bool = False  # emit call_started (we learned the sid only now)
    connected: bool = False  # emit call_connected
    completed: bool = False  # emit call_completed
    failure: str | None = None  # emit call_failed with this reason


def on_carrier_status(state: AttemptState, call_status: str) -> Effect | None:
    """The effect of a carrier status on an attempt in ``state``; None when it changes nothing."""
    if state.finished:
        return None
    learned_sid = state is AttemptState.DIALING
    if call_status in _RINGING:
        return Effect(AttemptState.PLACED, started=True) if learned_sid else None
    if call_status == "in-progress":
        if state is AttemptState.CONNECTED:
            return None
        return Effect(AttemptState.CONNECTED, started=learned_sid, connected=True)
    if call_status == "completed":
        if state is AttemptState.CONNECTED:
            return Effect(AttemptState.ENDED, completed=True)
        # Completed without ever being answered: the line dropped before the callee did.
        return Effect(AttemptState.FAILED, started=learned_sid, failure="ended before answer")
    if call_status in _FAILURES:
        if state is AttemptState.CONNECTED:
            return Effect(AttemptState.ENDED, completed=True)
        return Effect(AttemptState.FAILED, started=learned_sid, failure=_FAILURES[call_status])
    return None
