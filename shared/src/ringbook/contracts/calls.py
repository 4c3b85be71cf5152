"""Events of the ``calls`` context (aggregate ``call_job``, one per request, keyed by the
request id): written by call-orchestrator, and by media-bridge for the conversation."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime

from ringbook.contracts.catalogue import register
from ringbook.contracts.streams import CALLS
from ringbook.events import EventData

AGGREGATE = "call_job"
# One conversation per media stream (media-bridge): its events correlate to the request
# like the call job's do, and carry the call's booking outcome and transcript.
CONVERSATION = "conversation"


def _local(instant: datetime, tz_name: str) -> str:
    from zoneinfo import ZoneInfo

    return instant.astimezone(ZoneInfo(tz_name)).strftime("%a %Y-%m-%d %H:%M %Z")


class Scheduled(EventData):
    """The callee is closed now: the first call waits for its next opening."""

    run_at: AwareDatetime
    timezone: str

    def message(self) -> str:
        return (
            "Outside the callee's business hours: "
            f"scheduled for {_local(self.run_at, self.timezone)} ({self.timezone})"
        )


class CallStarted(EventData):
    attempt: int
    call_sid: str
    number: str

    def message(self) -> str:
        return f"Voice AI started calling {self.number} (attempt {self.attempt})"


class CallConnected(EventData):
    attempt: int
    call_sid: str

    def message(self) -> str:
        return "The callee answered; the conversation is running"


class CallFailed(EventData):
    """An attempt did not reach the callee. ``retry_at`` is None when attempts are
    exhausted (the request has then failed for good)."""

    attempt: int
    call_sid: str | None
    reason: str
    retry_at: AwareDatetime | None
    timezone: str

    def message(self) -> str:
        base = f"Call attempt {self.attempt} failed: {self.reason}"
        if self.retry_at is None:
            return base + "; no attempts left"
        return base + f"; retrying at {_local(self.retry_at, self.timezone)}"


class CallCompleted(EventData):
    attempt: int
    call_sid: str
    duration_seconds: float
    outcome: str

    def message(self) -> str:
        return f"Call ended after {self.duration_seconds:.0f} s ({self.outcome})"


class BookingInProgress(EventData):
    attempt: int
    details: str

    def message(self) -> str:
        return f"Booking in progress: {self.details}"


class BookingConfirmed(EventData):
    attempt: int
    summary: str

    def message(self) -> str:
        return f"Appointment booked: {self.summary}"


register("scheduled", aggregate=AGGREGATE, stream=CALLS, model=Scheduled)
register("call_started", aggregate=AGGREGATE, stream=CALLS, model=CallStarted)
register("call_connected", aggregate=AGGREGATE, stream=CALLS, model=CallConnected)
register("call_failed", aggregate=(AGGREGATE, CONVERSATION), stream=CALLS, model=CallFailed)
register("call_completed", aggregate=(AGGREGATE, CONVERSATION), stream=CALLS,
         model=CallCompleted)
register("booking_in_progress", aggregate=CONVERSATION, stream=CALLS, model=BookingInProgress)
register("booking_confirmed", aggregate=CONVERSATION, stream=CALLS, model=BookingConfirmed)
