"""Events of the ``calls`` context (aggregate ``call_job``, one per request, keyed by the
request id): written by call-orchestrator, and by media-bridge for the conversation."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ringbook.contracts.catalogue import register
from ringbook.contracts.streams import CALLS
from ringbook.events import EventData

AGGREGATE = "call_job"
# One conversation per media stream (media-bridge): its events correlate to the request
# like the call job's do, and carry the call's booking outcome and transcript.
CONVERSATION = "conversation"
# An inbound call (someone calls a business) has no request behind it: its events live on
# their own aggregate, so the request projections (which follow call_job and conversation
# subjects only) never wait for a request that will not come.
INBOUND_CALL = "inbound_call"

# What a request's projections follow: its call job and its conversations.
REQUEST_SUBJECTS = [CALLS.subject_filter(aggregate=AGGREGATE),
                    CALLS.subject_filter(aggregate=CONVERSATION)]


def _local(instant: datetime, tz_name: str) -> str:
    from zoneinfo import ZoneInfo

    return instant.astimezone(ZoneInfo(tz_name)).strftime("%a %Y-%m-%d %H:%M %Z")


class Scheduled(EventData):
    """The callee is closed now: the next call waits for its next opening."""

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
    number: str  # the other party: the number we called, or who called us
    # An inbound call's line: the business's own number it came in on (E.164), which
    # names the client or assistant the call belongs to. None for outbound calls.
    line: str | None = None

    def message(self) -> str:
        return f"Voice AI started calling {self.number} (attempt {self.attempt})"


class CallConnected(EventData):
    attempt: int
    call_sid: str

    def message(self) -> str:
        return "The callee answered; the conversation is running"


class CallFailed(EventData):
    """An attempt did not reach its goal. ``retry_at`` is None when attempts are
    exhausted (the request has then failed for good), unless the callee asked to be
    called back (``callback_requested``): then the request waits for that callback."""

    attempt: int
    call_sid: str | None
    reason: str
    retry_at: AwareDatetime | None
    timezone: str
    callback_requested: bool = False

    def message(self) -> str:
        base = f"Call attempt {self.attempt} failed: {self.reason}"
        if self.callback_requested:
            return base + "; the callee asked to be called back"
        if self.retry_at is None:
            return base + "; no attempts left"
        return base + f"; retrying at {_local(self.retry_at, self.timezone)}"


class TranscriptLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    speaker: Literal["agent", "callee"]
    text: str
    at_ms: int  # since the media stream started
    interrupted: bool = False


class ModelUsage(BaseModel):
    """The realtime model's tokens over a whole call: the sum of the ``usage`` of every
    ``response.done`` it sent (OpenAI Realtime API). What the call's model cost is priced
    from (analytics-service); ``cached_input_tokens`` is part of the two input counts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    input_text_tokens: int = Field(default=0, ge=0)
    input_audio_tokens: int = Field(default=0, ge=0)
    cached_input_tokens: int = Field(default=0, ge=0)
    output_text_tokens: int = Field(default=0, ge=0)
    output_audio_tokens: int = Field(default=0, ge=0)


class CallOutcome(StrEnum):
    """What an answered call came to (``CallCompleted.outcome`` of a conversation)."""

    BOOKED = "booked"
    NO_AVAILABILITY = "no_availability"  # the practice will call back
    ENDED = "ended"  # the agent hung up (end_call) without a booking result
    CALLER_HUNG_UP = "caller_hung_up"
    MODEL_DISCONNECTED = "model_disconnected"
    # Written by call-orchestrator: the call was answered and ended, and no conversation
    # reported on it in time (its media stream never reached media-bridge).
    NO_CONVERSATION = "no_conversation"

    @property
    def settles_the_request(self) -> bool:
        """Booked, or the practice asked to be called back: nothing more to dial. Any
        other end is a failed attempt, for the retry policy to decide on."""
        return self in (CallOutcome.BOOKED, CallOutcome.NO_AVAILABILITY)


class CallCompleted(EventData):
    """A call ended. The conversation (media-bridge) adds what was said and how fast the
    agent answered; the carrier's view (call-orchestrator, inbound calls) has no transcript."""

    attempt: int
    call_sid: str
    duration_seconds: float
    outcome: str
    transcript: tuple[TranscriptLine, ...] = ()
    interruptions: int = 0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    # The conversation's model tokens (media-bridge); None from the carrier's view.
    usage: ModelUsage | None = None

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
register("call_started", aggregate=(AGGREGATE, INBOUND_CALL), stream=CALLS, model=CallStarted)
register("call_connected", aggregate=(AGGREGATE, INBOUND_CALL), stream=CALLS,
         model=CallConnected)
register("call_failed", aggregate=(AGGREGATE, CONVERSATION, INBOUND_CALL), stream=CALLS,
         model=CallFailed)
register("call_completed", aggregate=(AGGREGATE, CONVERSATION, INBOUND_CALL), stream=CALLS,
         model=CallCompleted)
register("booking_in_progress", aggregate=CONVERSATION, stream=CALLS, model=BookingInProgress)
register("booking_confirmed", aggregate=CONVERSATION, stream=CALLS, model=BookingConfirmed)
