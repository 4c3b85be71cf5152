"""What a finished conversation leaves behind: outcome, transcript, latencies. Pure."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ringbook.contracts.calls import CallOutcome, ModelUsage

from media_bridge.domain.call_stream import EndReason


def outcome_of(reason: EndReason, booked: bool, no_availability: bool) -> CallOutcome:
    """A booking result wins over how the line was dropped."""
    if booked:
        return CallOutcome.BOOKED
    if no_availability:
        return CallOutcome.NO_AVAILABILITY
    if reason is EndReason.MODEL_DISCONNECTED:
        return CallOutcome.MODEL_DISCONNECTED
    if reason in (EndReason.STOP, EndReason.SOCKET_CLOSED, EndReason.RECEIVE_TIMEOUT):
        return CallOutcome.CALLER_HUNG_UP
    return CallOutcome.ENDED  # AGENT_ENDED, SHUTDOWN


@dataclass(frozen=True)
class TranscriptLine:
    speaker: str  # "agent" | "callee"
    text: str
    at_ms: int  # since the stream started
    interrupted: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "speaker": self.speaker,
            "text": self.text,
            "at_ms": self.at_ms,
            "interrupted": self.interrupted,
        }


def percentile_ms(values_ms: list[int], p: float) -> int | None:
    """Nearest-rank percentile, None without samples."""
    if not values_ms:
        return None
    ordered = sorted(values_ms)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class ConversationRecord:
    conversation_id: uuid.UUID
    stream_sid: str
    call_sid: str
    request_id: uuid.UUID | None
    tenant_id: uuid.UUID | None
    direction: str
    attempt: int
    outcome: str
    started_at: datetime
    ended_at: datetime
    interruptions: int = 0
    latencies_ms: list[int] = field(default_factory=list)
    transcript: list[TranscriptLine] = field(default_factory=list)
    usage: ModelUsage | None = None  # the model's tokens; None: it reported none

    @property
    def duration_seconds(self) -> float:
        return max(0.0, (self.ended_at - self.started_at).total_seconds())

    @property
    def latency_p50_ms(self) -> int | None:
        return percentile_ms(self.latencies_ms, 50)

    @property
    def latency_p95_ms(self) -> int | None:
        return percentile_ms(self.latencies_ms, 95)


def outcome_summary(
    outcome: CallOutcome, *, detail: str | None, lines: int, interruptions: int,
    p50_ms: int | None, p95_ms: int | None,
) -> str:
    """call_completed's ``outcome`` until it has fields of its own: the code first (split
    on ";"), then a short summary, e.g. "booked; Mo 23.11.2026, 10:30 Uhr bei Praxis
    Dr. Müller; 6 transcript lines, 1 interruption, response latency p50 420 ms / p95 610 ms"."""
    parts = [outcome.value]
    if detail:
        parts.append(detail)
    stats = f"{lines} transcript lines, {interruptions} interruption" + (
        "" if interruptions == 1 else "s"
    )
    if p50_ms is not None:
        stats += f", response latency p50 {p50_ms} ms / p95 {p95_ms} ms"
    parts.append(stats)
    return "; ".join(parts)
