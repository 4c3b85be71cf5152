"""The realtime model's server events the conversation acts on, as plain dataclasses
(they are on the audio hot path: no validation layer, no pydantic)."""

from __future__ import annotations

from dataclasses import dataclass

from media_bridge.domain.model_usage import TokenCounts


@dataclass(slots=True)  # not frozen: 50 a second per call, and frozen __init__ is slow
class AudioDelta:
    item_id: str
    delta: str  # base64 audio/pcmu, forwarded to Twilio unchanged


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    item_id: str


@dataclass(frozen=True, slots=True)
class SpeechStopped:
    item_id: str


@dataclass(frozen=True, slots=True)
class AgentTranscript:
    item_id: str
    text: str


@dataclass(frozen=True, slots=True)
class CalleeTranscript:
    item_id: str
    text: str


@dataclass(frozen=True, slots=True)
class FunctionCall:
    call_id: str
    name: str
    arguments: str  # JSON text, as the model wrote it


@dataclass(frozen=True, slots=True)
class ResponseDone:
    response_id: str
    status: str
    usage: TokenCounts | None = None  # None: the server sent none we could read


@dataclass(frozen=True, slots=True)
class ModelError:
    code: str
    message: str


ModelEvent = (
    AudioDelta
    | SpeechStarted
    | SpeechStopped
    | AgentTranscript
    | CalleeTranscript
    | FunctionCall
    | ResponseDone
    | ModelError
)


