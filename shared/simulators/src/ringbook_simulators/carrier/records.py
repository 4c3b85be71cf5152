"""State of every call the SIMULATED carrier has placed or put through (an incoming
call, see ``incoming``), and its Twilio JSON shape."""

from __future__ import annotations

import asyncio
import math
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from enum import StrEnum
from typing import Any

from ringbook_simulators.carrier.scenarios import Scenario
from ringbook_simulators.carrier.twiml import StreamInstruction

API_VERSION = "2010-04-01"
# Twilio's ``direction`` of a call placed through the REST API, and of a call that
# came in to one of the account's numbers.
OUTBOUND_API = "outbound-api"
INBOUND = "inbound"


class CallStatus(StrEnum):
    """Twilio's call resource statuses."""

    QUEUED = "queued"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    FAILED = "failed"
    NO_ANSWER = "no-answer"
    CANCELED = "canceled"

    @property
    def is_final(self) -> bool:
        return self not in (CallStatus.QUEUED, CallStatus.RINGING, CallStatus.IN_PROGRESS)


def new_sid(prefix: str) -> str:
    """A Twilio-shaped SID: two-letter prefix plus 32 lowercase hex digits."""
    return prefix + secrets.token_hex(16)


def rfc2822(moment: datetime) -> str:
    """Twilio renders dates like ``Tue, 31 Aug 2010 20:36:28 +0000``."""
    return format_datetime(moment.astimezone(UTC))


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class SpokenLine:
    """One scripted line the simulated practice said on the call's Media Stream.

    ``start_ms`` / ``end_ms`` are positions on the stream's audio timeline (the
    ``media.timestamp`` of its first frame, and that plus its length); ``ended_at`` is
    None while the line is being said, or if the call ended in the middle of it.
    """

    text: str
    started_at: datetime
    start_ms: int
    planned_frames: int
    # True if it started while the agent was still speaking (a scripted barge-in).
    interrupting: bool
    frames_sent: int = 0
    end_ms: int | None = None
    ended_at: datetime | None = None

    def to_view(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "frames_sent": self.frames_sent,
            "planned_frames": self.planned_frames,
            "interrupting": self.interrupting,
        }


@dataclass
class MediaStats:
    """What happened on the call's Media Streams websocket (inspected by tests)."""

    connected: bool = False
    connect_error: str | None = None
    sent_media: int = 0
    sent_speech_frames: int = 0  # of sent_media, frames carrying the practice's voice
    sent_dtmf: int = 0
    received_media: int = 0
    received_marks: int = 0
    received_clears: int = 0
    received_other: int = 0
    received_mark_names: list[str] = field(default_factory=list)
    closed_by_peer: bool = False
    stop_sent: bool = False
    practice_said: list[SpokenLine] = field(default_factory=list)


@dataclass
class CallbackAttempt:
    """One status callback as posted (or not) to the application."""

    sequence_number: int
    call_status: str
    delivered: bool
    http_status: int | None


@dataclass
class CallRecord:
    """One simulated call; mutated only from the event loop's thread."""

    sid: str
    account_sid: str
    to: str
    from_: str
    scenario: Scenario
    stream: StreamInstruction | None
    status_callback: str | None
    status_callback_method: str
    status_callback_events: frozenset[str]
    direction: str = OUTBOUND_API
    # Where the call's TwiML comes from when it was not given with the call (see
    # ``voice_url``): an incoming call's number's voice URL, or the ``Url`` of a call
    # created with one; and how that request was made and answered.
    voice_url: str | None = None
    voice_method: str = "POST"
    voice_webhook_http_status: int | None = None
    voice_webhook_error: str | None = None
    status: CallStatus = CallStatus.QUEUED
    date_created: datetime = field(default_factory=utcnow)
    date_updated: datetime = field(default_factory=utcnow)
    start_time: datetime | None = None
    end_time: datetime | None = None
    history: list[tuple[CallStatus, datetime]] = field(default_factory=list)
    callbacks: list[CallbackAttempt] = field(default_factory=list)
    media: MediaStats = field(default_factory=MediaStats)
    # Set when REST or the callee ends the call, so the runner stops waiting at once.
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    dtmf_queue: asyncio.Queue[str] = field(default_factory=asyncio.Queue)

    def __post_init__(self) -> None:
        self.history.append((self.status, self.date_created))

    @property
    def duration_seconds(self) -> int:
        if self.start_time is None:
            return 0
        end = self.end_time or utcnow()
        # Twilio bills whole seconds and rounds up; an answered call is never 0 s here.
        return max(1, math.ceil((end - self.start_time).total_seconds()))

    def transition(self, status: CallStatus) -> bool:
        """Move to ``status``; False (and no change) once the call has ended."""
        if self.status.is_final:
            return False
        now = utcnow()
        self.status = status
        self.date_updated = now
        self.history.append((status, now))
        if status is CallStatus.IN_PROGRESS:
            self.start_time = now
        if status.is_final:
            self.end_time = now
            self.ended.set()
        return True

    @property
    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{self.sid}.json"

    def to_resource(self) -> dict[str, Any]:
        """The call as Twilio's REST API renders it."""
        base = self.uri.removesuffix(".json")
        return {
            "sid": self.sid,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_updated),
            "parent_call_sid": None,
            "account_sid": self.account_sid,
            "to": self.to,
            "to_formatted": self.to,
            "from": self.from_,
            "from_formatted": self.from_,
            "phone_number_sid": None,
            "status": self.status.value,
            "start_time": rfc2822(self.start_time) if self.start_time else None,
            "end_time": rfc2822(self.end_time) if self.end_time else None,
            "duration": str(self.duration_seconds) if self.status.is_final else None,
            "price": None,
            "price_unit": "USD",
            "direction": self.direction,
            "answered_by": None,
            "annotation": None,
            "api_version": API_VERSION,
            "forwarded_from": None,
            "group_sid": None,
            "caller_name": None,
            "queue_time": "0",
            "trunk_sid": None,
            "uri": self.uri,
            "subresource_uris": {
                "notifications": f"{base}/Notifications.json",
                "recordings": f"{base}/Recordings.json",
                "streams": f"{base}/Streams.json",
                "events": f"{base}/Events.json",
            },
        }

    def to_simulator_view(self) -> dict[str, Any]:
        """Resource plus what only the simulator knows, for ``GET /calls``."""
        return {
            **self.to_resource(),
            "scenario": self.scenario.outcome.value,
            "stream": (
                {"url": self.stream.url, "parameters": dict(self.stream.parameters)}
                if self.stream
                else None
            ),
            "voice_webhook": (
                {
                    "url": self.voice_url,
                    "method": self.voice_method,
                    "http_status": self.voice_webhook_http_status,
                    "error": self.voice_webhook_error,
                }
                if self.voice_url
                else None
            ),
            "status_callback": self.status_callback,
            "status_callback_method": self.status_callback_method,
            "status_callback_events": sorted(self.status_callback_events),
            "history": [{"status": s.value, "at": at.isoformat()} for s, at in self.history],
            "callbacks": [
                {
                    "sequence_number": c.sequence_number,
                    "call_status": c.call_status,
                    "delivered": c.delivered,
                    "http_status": c.http_status,
                }
                for c in self.callbacks
            ],
            "media": {
                "connected": self.media.connected,
                "connect_error": self.media.connect_error,
                "sent_media": self.media.sent_media,
                "sent_speech_frames": self.media.sent_speech_frames,
                "sent_dtmf": self.media.sent_dtmf,
                "received_media": self.media.received_media,
                "received_marks": self.media.received_marks,
                "received_clears": self.media.received_clears,
                "received_other": self.media.received_other,
                "received_mark_names": list(self.media.received_mark_names),
                "closed_by_peer": self.media.closed_by_peer,
                "stop_sent": self.media.stop_sent,
                # What the simulated party said: the practice we called, or the
                # caller of an inbound call.
                ("caller_said" if self.direction == INBOUND else "practice_said"): [
                    line.to_view() for line in self.media.practice_said
                ],
            },
        }
