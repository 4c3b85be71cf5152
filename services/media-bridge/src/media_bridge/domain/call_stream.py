"""What one call's media stream is and what happened on it. Pure bookkeeping: no I/O,
no clock, no protocol details, so the rules hold whatever carrier feeds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from ringbook.stream_tokens import StreamGrant


class EndReason(StrEnum):
    STOP = "stop"  # the carrier ended the stream (the call is over)
    SOCKET_CLOSED = "socket closed"  # the websocket closed without a stop
    PROTOCOL_ERROR = "protocol error"  # unusable frames before the stream started
    RECEIVE_TIMEOUT = "receive timeout"  # nothing received for too long
    SHUTDOWN = "shutdown"  # this replica is going away
    AGENT_ENDED = "agent ended"  # the conversation ended the call (the end_call tool)
    MODEL_DISCONNECTED = "model disconnected"  # the realtime model's socket died
    REFUSED = "refused"  # the stream was not admitted (see StreamRefused): never started


class StreamRefused(Exception):
    """A stream that must not be served: not Twilio, or not one of our calls (a token
    missing, forged, expired, for another call, or already used). ``reason`` is for logs
    and metrics; the peer learns nothing but the close code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class StreamIdentity:
    """An admitted stream: Twilio's sids from ``start`` and the verified ``grant`` of its
    stream token. Everything we believe about the call (tenant, request, attempt,
    direction) is the grant's; ``start``'s other custom parameters are never read."""

    stream_sid: str
    call_sid: str
    account_sid: str
    grant: StreamGrant

    @property
    def request_id(self) -> str:
        """The request (or inbound session) the call belongs to: the correlation id of
        every log line of the call."""
        return str(self.grant.request_id)


@dataclass
class StreamProgress:
    frames_in: int = 0
    frames_out: int = 0
    last_sequence: int | None = None
    out_of_order: int = 0
    dtmf_digits: list[str] = field(default_factory=list)
    marks_pending: list[str] = field(default_factory=list)
    marks_played: int = 0
    protocol_errors: int = 0

    def sequence(self, number: int) -> None:
        """Note a message's sequence number; a number not above the last one means the
        carrier reordered or repeated frames (counted, never fatal)."""
        if self.last_sequence is not None and number <= self.last_sequence:
            self.out_of_order += 1
        else:
            self.last_sequence = number

    def frame_in(self, sequence: int) -> None:
        self.sequence(sequence)
        self.frames_in += 1

    def mark_sent(self, name: str) -> None:
        self.marks_pending.append(name)

    def mark_played(self, name: str) -> bool:
        """The carrier reached ``name``; False if we never sent (or already saw) it."""
        try:
            self.marks_pending.remove(name)
        except ValueError:
            return False
        self.marks_played += 1
        return True

    def summary(self) -> dict[str, int]:
        return {
            "frames_in": self.frames_in,
            "frames_out": self.frames_out,
            "out_of_order": self.out_of_order,
            "dtmf": len(self.dtmf_digits),
            "marks_played": self.marks_played,
            "marks_pending": len(self.marks_pending),
            "protocol_errors": self.protocol_errors,
        }
