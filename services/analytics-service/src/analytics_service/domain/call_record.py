"""A call of the log as the projection builds it: what each event contributes.

Pure: no I/O, no clock. The events of one call come from three writers on two streams
(call-orchestrator's attempt or inbound call, media-bridge's conversation, and the
analysis on ANALYTICS), consumed independently, so no order between them can be
assumed. Each event therefore becomes a :class:`CallPatch`, a set of fields, and the
store merges patches by rules that give the same row in any order (see
``adapters.call_log_repository``): first known wins for identity fields, the largest
duration, the conversation's outcome over the carrier's, the earliest time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ringbook.contracts.call_log import CallLogged, Sentiment, call_log_id
from ringbook.contracts.calls import (
    AGGREGATE,
    CONVERSATION,
    INBOUND_CALL,
    CallCompleted,
    CallConnected,
    CallFailed,
    CallOutcome,
    CallStarted,
    TranscriptLine,
)
from ringbook.events import Envelope

DIRECTION_OF_AGGREGATE = {AGGREGATE: "outbound", CONVERSATION: "outbound",
                          INBOUND_CALL: "inbound"}
SPEAKER_LABEL = {"agent": "Agent", "callee": "Caller"}


@dataclass(frozen=True)
class CallPatch:
    """The fields one event knows about one call; None: this event does not say."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    created_at: datetime
    direction: str | None = None
    client_id: uuid.UUID | None = None
    call_sid: str | None = None
    caller_phone: str | None = None
    caller_name: str | None = None
    line: str | None = None  # an inbound call's business number
    duration_seconds: float | None = None
    stt_latency_ms: float | None = None
    llm_latency_ms: float | None = None
    tts_latency_ms: float | None = None
    response_latency_p50_ms: float | None = None
    response_latency_p95_ms: float | None = None
    transcript: str | None = None
    transcript_lines: list[dict[str, Any]] = field(default_factory=list)
    outcome: str | None = None
    # True when this event's outcome is the conversation's (what was said decides it),
    # which beats the carrier's bare "completed"/"busy" whichever arrives first.
    outcome_authoritative: bool = False
    success: bool | None = None
    sentiment: Sentiment | None = None
    recording_url: str | None = None
    notes: str | None = None
    usage: dict[str, Any] | None = None


def transcript_text(lines: Iterable[TranscriptLine]) -> str:
    """Seed 002's transcript: one ``Speaker: text`` line per turn."""
    return "\n".join(f"{SPEAKER_LABEL[line.speaker]}: {line.text}" for line in lines)


def patch_from_call_event(event: Envelope) -> CallPatch | None:
    """The patch of a CALLS event, or None for events that name no call (a failure
    before the carrier gave a sid, a schedule, a booking step)."""
    data = event.data
    if not isinstance(data, CallStarted | CallConnected | CallFailed | CallCompleted):
        return None
    if not data.call_sid:  # None or empty: no carrier call to log
        return None
    base: dict[str, Any] = {
        "id": call_log_id(data.call_sid), "tenant_id": event.tenant_id,
        "created_at": event.occurred_at, "call_sid": data.call_sid,
        "direction": DIRECTION_OF_AGGREGATE.get(event.aggregate),
    }
    if isinstance(data, CallStarted):
        # Outbound: the number we called; inbound: the caller's. Either way the other party.
        return CallPatch(**base, caller_phone=data.number, line=data.line)
    if isinstance(data, CallFailed):
        return CallPatch(**base, outcome=data.reason)
    if isinstance(data, CallConnected):
        return CallPatch(**base)
    # Only call-orchestrator's "no conversation reported" is the carrier's guess; every
    # other call_completed is the conversation's report of what the call came to.
    conversation = data.outcome != CallOutcome.NO_CONVERSATION
    return CallPatch(
        **base,
        duration_seconds=data.duration_seconds,
        outcome=data.outcome,
        outcome_authoritative=conversation,
        response_latency_p50_ms=data.latency_p50_ms,
        response_latency_p95_ms=data.latency_p95_ms,
        transcript=transcript_text(data.transcript) if data.transcript else None,
        transcript_lines=[line.model_dump(mode="json") for line in data.transcript],
        usage=data.usage.model_dump(mode="json") if data.usage is not None else None,
    )


def patch_from_logged(event: Envelope) -> CallPatch:
    """The patch of ``call_logged``: seed 002's body, as accepted by ``POST /api/calls``."""
    data = event.data
    if not isinstance(data, CallLogged):
        raise TypeError(f"expected call_logged, got {event.type}")
    return CallPatch(
        id=event.aggregate_id, tenant_id=event.tenant_id, created_at=event.occurred_at,
        direction="logged", client_id=data.client_id, caller_phone=data.caller_phone,
        caller_name=data.caller_name, duration_seconds=data.duration_seconds,
        stt_latency_ms=data.stt_latency_ms, llm_latency_ms=data.llm_latency_ms,
        tts_latency_ms=data.tts_latency_ms, transcript=data.transcript,
        success=data.success, sentiment=data.sentiment, recording_url=data.recording_url,
        notes=data.notes,
    )
