"""What an ended conversation reports: its row (``ConversationRecord``) and the
``call_completed`` event, both built from the same facts so they never disagree."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from ringbook.contracts.calls import CallCompleted, CallOutcome
from ringbook.contracts.calls import TranscriptLine as ContractTranscriptLine

from media_bridge.domain.call_facts import CallFacts
from media_bridge.domain.call_stream import EndReason, StreamIdentity
from media_bridge.domain.conversation_record import (
    ConversationRecord,
    TranscriptLine,
    outcome_of,
    outcome_summary,
)
from media_bridge.domain.model_usage import TokenCounts


@dataclass(frozen=True)
class CallReport:
    record: ConversationRecord
    outcome: CallOutcome
    summary: str  # the outcome code and a short summary (see ``outcome_summary``)

    @classmethod
    def of(
        cls,
        *,
        conversation_id: uuid.UUID,
        identity: StreamIdentity,
        facts: CallFacts,
        reason: EndReason,
        booked_summary: str | None,
        no_availability_reason: str | None,
        started_at: datetime,
        ended_at: datetime,
        interruptions: int,
        latencies_ms: list[int],
        transcript: list[TranscriptLine],
        usage: TokenCounts | None,
        model: str,
    ) -> CallReport:
        """``usage``: the sum of the model's responses' (None: none had one), of the
        session's ``model``."""
        outcome = outcome_of(reason, booked_summary is not None,
                             no_availability_reason is not None)
        record = ConversationRecord(
            conversation_id=conversation_id,
            stream_sid=identity.stream_sid,
            call_sid=identity.call_sid,
            request_id=facts.request_id,
            tenant_id=facts.tenant_id,
            direction=facts.direction,
            attempt=facts.attempt,
            outcome=outcome.value,
            started_at=started_at,
            ended_at=ended_at,
            interruptions=interruptions,
            latencies_ms=list(latencies_ms),
            transcript=list(transcript),
            usage=None if usage is None else usage.as_model_usage(model),
        )
        detail = {CallOutcome.BOOKED: booked_summary,
                  CallOutcome.NO_AVAILABILITY: no_availability_reason}.get(outcome)
        summary = outcome_summary(
            outcome,
            detail=detail,
            lines=len(record.transcript),
            interruptions=record.interruptions,
            p50_ms=record.latency_p50_ms,
            p95_ms=record.latency_p95_ms,
        )
        return cls(record, outcome, summary)

    def call_completed(self) -> CallCompleted:
        record = self.record
        return CallCompleted(
            attempt=record.attempt,
            call_sid=record.call_sid,
            duration_seconds=round(record.duration_seconds, 3),
            outcome=self.outcome.value,
            transcript=tuple(
                ContractTranscriptLine(
                    speaker="agent" if line.speaker == "agent" else "callee",
                    text=line.text,
                    at_ms=line.at_ms,
                    interrupted=line.interrupted,
                )
                for line in record.transcript
            ),
            interruptions=record.interruptions,
            latency_p50_ms=record.latency_p50_ms,
            latency_p95_ms=record.latency_p95_ms,
            usage=record.usage,
        )
