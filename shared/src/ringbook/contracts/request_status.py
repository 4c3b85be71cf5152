"""The eight statuses of seed 000 and the one table of legal transitions.

Status is a projection: each event implies a status (or none), and the projection moves
only along this table. An event whose implied status is not reachable from the current
one (a ``call_started`` arriving after ``request_canceled``) is refused and logged, never
applied, so a request's status can never move backwards or leave a terminal state.
"""

from __future__ import annotations

from enum import StrEnum

from ringbook.contracts.calls import CallFailed
from ringbook.events import Envelope


class RequestStatus(StrEnum):
    QUEUED = "queued"
    OUTSIDE_BUSINESS_HOURS = "outside_business_hours"
    CALLING = "calling"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_CALLBACK = "waiting_for_callback"
    BOOKED = "booked"
    FAILED = "failed"
    CANCELED = "canceled"


S = RequestStatus
TERMINAL: frozenset[RequestStatus] = frozenset({S.BOOKED, S.FAILED, S.CANCELED})

# A dial can fail before any ``call_started`` (the carrier refused it, or never confirmed
# it and the attempt was given up): its ``call_failed`` then follows ``queued`` or
# ``outside_business_hours`` directly, and with a retry ahead it means, as after a call
# that was answered or rang out, ``waiting_for_callback`` (the timeline says "retrying
# at ...").
TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    S.QUEUED: frozenset({S.OUTSIDE_BUSINESS_HOURS, S.CALLING, S.WAITING_FOR_CALLBACK,
                         S.FAILED, S.CANCELED}),
    S.OUTSIDE_BUSINESS_HOURS: frozenset({S.CALLING, S.WAITING_FOR_CALLBACK, S.FAILED,
                                         S.CANCELED}),
    S.CALLING: frozenset({S.IN_PROGRESS, S.WAITING_FOR_CALLBACK, S.FAILED, S.CANCELED}),
    S.IN_PROGRESS: frozenset({S.BOOKED, S.WAITING_FOR_CALLBACK, S.FAILED, S.CANCELED}),
    # A retry taken after the callee closed (downtime, a queue at the carrier's rate) is
    # moved to the next opening at the moment of dialing: ``scheduled`` again.
    S.WAITING_FOR_CALLBACK: frozenset({S.CALLING, S.OUTSIDE_BUSINESS_HOURS, S.BOOKED,
                                       S.FAILED, S.CANCELED}),
    S.BOOKED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELED: frozenset(),
}

_IMPLIED: dict[str, RequestStatus] = {
    "request_received": S.QUEUED,
    "scheduled": S.OUTSIDE_BUSINESS_HOURS,
    "call_started": S.CALLING,
    "call_connected": S.IN_PROGRESS,
    "booking_in_progress": S.IN_PROGRESS,
    "booking_confirmed": S.BOOKED,
    "request_canceled": S.CANCELED,
}


class IllegalTransition(ValueError):
    def __init__(self, current: RequestStatus, target: RequestStatus, event_type: str) -> None:
        super().__init__(f"{event_type}: {current} -> {target} is not a legal transition")
        self.current, self.target, self.event_type = current, target, event_type


def implied_status(event: Envelope) -> RequestStatus | None:
    """The status an event moves its request to, or None for a timeline-only event."""
    if isinstance(event.data, CallFailed):
        waits = event.data.retry_at is not None or event.data.callback_requested
        return S.WAITING_FOR_CALLBACK if waits else S.FAILED
    return _IMPLIED.get(event.type)


def next_status(current: RequestStatus | None, event: Envelope) -> RequestStatus | None:
    """The status after ``event``; ``None`` means "unchanged".

    Raises IllegalTransition when the implied status cannot follow ``current``.
    Re-entering the current status (a second ``booking_in_progress``) is no change.
    """
    target = implied_status(event)
    if target is None:
        return None
    if current is None:
        if target is not S.QUEUED:
            raise IllegalTransition(S.QUEUED, target, event.type)
        return target
    if target == current:
        return None
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target, event.type)
    return target
