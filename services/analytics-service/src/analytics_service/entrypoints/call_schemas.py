"""Bodies of ``/api/calls`` and ``/api/api-keys``: seed 002's fields, plus what our own
calls know (direction, outcome, response latency, structured transcript, usage)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import asyncpg
import orjson
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from ringbook.contracts.call_log import Sentiment

from analytics_service.domain.api_keys import ApiKey

ShortText = Annotated[str, StringConstraints(max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=100_000)]
Latency = Annotated[float, Field(ge=0, le=3_600_000)]


class Body(BaseModel):
    """A request body: unknown fields are refused, as everywhere on the platform."""

    model_config = ConfigDict(extra="forbid")


class CallLogIn(Body):
    """Seed 002's ``POST /api/calls`` body, exactly."""

    client_id: uuid.UUID
    caller_phone: Annotated[str, StringConstraints(max_length=64)] | None = None
    caller_name: ShortText | None = None
    duration_seconds: Annotated[float, Field(ge=0, le=7 * 86_400)]
    stt_latency_ms: Latency | None = None
    llm_latency_ms: Latency | None = None
    tts_latency_ms: Latency | None = None
    transcript: LongText | None = None
    sentiment: Sentiment | None = None
    success: bool = True
    recording_url: Annotated[str, StringConstraints(max_length=2_000)] | None = None
    notes: Annotated[str, StringConstraints(max_length=10_000)] | None = None


class LoggedCall(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    created_at: datetime


class LoggedCallEnvelope(BaseModel):
    call: LoggedCall


class CallSummary(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID | None
    direction: str
    caller_phone: str | None
    caller_name: str | None
    duration_seconds: float | None
    sentiment: Sentiment | None
    success: bool | None
    outcome: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: asyncpg.Record) -> CallSummary:
        return cls(**{name: row[name] for name in cls.model_fields})


class CallList(BaseModel):
    total: int
    limit: int
    offset: int
    calls: list[CallSummary]


class Analysis(BaseModel):
    summary: str | None
    sentiment: Sentiment | None
    success: bool | None
    extraction: dict[str, Any]
    model: str | None
    analyzed_at: datetime


class Usage(BaseModel):
    model: str | None
    input_text_tokens: int | None
    input_audio_tokens: int | None
    cached_input_tokens: int | None
    output_text_tokens: int | None
    output_audio_tokens: int | None


class Cost(BaseModel):
    """What one of our own calls cost (docs/analytics.md, Cost); amounts in ``currency``."""

    billed_minutes: int
    carrier: float
    model: float
    total: float
    currency: str


class CallDetail(CallSummary):
    call_sid: str | None
    stt_latency_ms: float | None
    llm_latency_ms: float | None
    tts_latency_ms: float | None
    response_latency_p50_ms: float | None
    response_latency_p95_ms: float | None
    transcript: str | None
    transcript_lines: list[dict[str, Any]]
    recording_url: str | None
    notes: str | None
    analysis: Analysis | None
    usage: Usage | None
    # None for a call another agent logged, and until our own call's duration is known.
    cost: Cost | None

    @classmethod
    def of(cls, row: asyncpg.Record) -> CallDetail:
        plain = {name: row[name] for name in cls.model_fields
                 if name not in ("analysis", "usage", "cost")}
        plain["transcript_lines"] = _json(row["transcript_lines"])
        analysis = None
        if row["analyzed_at"] is not None:
            analysis = Analysis(summary=row["summary"], sentiment=row["sentiment"],
                                success=row["success"], extraction=_json(row["extraction"]) or {},
                                model=row["analysis_model"], analyzed_at=row["analyzed_at"])
        usage = None
        if row["model"] is not None:
            usage = Usage(**{name: row[name] for name in Usage.model_fields})
        cost = None
        if row["total_cost"] is not None:
            cost = Cost(billed_minutes=row["billed_minutes"], carrier=row["carrier_cost"],
                        model=row["model_cost"], total=row["total_cost"],
                        currency=row["cost_currency"])
        return cls(**plain, analysis=analysis, usage=usage, cost=cost)


def _json(value: Any) -> Any:
    """jsonb as asyncpg returns it without a codec: the text of the document."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


class CallDetailEnvelope(BaseModel):
    call: CallDetail


class ApiKeyIn(Body):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=100)]


class ApiKeyOut(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        return cls(id=key.id, name=key.name, prefix=key.prefix, created_at=key.created_at)


class NewApiKey(BaseModel):
    """The only answer that carries the key itself."""

    id: uuid.UUID
    key: str
    name: str
    created_at: datetime


class ApiKeyList(BaseModel):
    api_keys: list[ApiKeyOut]


class Message(BaseModel):
    message: str
