"""Post-call analysis, the pure part: what the LLM is told, the shape it must answer in
(strict structured outputs), how a transcript reads to it, and the check of its answer.

The LLM sees the transcript as labelled lines (``Agent:`` / ``Caller:``) plus outcome
hints (``Outcome: booked``): the hints are facts we already know, so the model need not
guess them, and the SIMULATED LLM's rules read the same labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, cast

from ringbook.contracts.call_log import SENTIMENTS, Sentiment

SCHEMA_NAME: Final = "call_analysis"
FieldType = Literal["string", "number", "integer", "boolean"]
ExtractionValue = str | int | float | bool | None

INSTRUCTIONS: Final = (
    "You analyse one finished phone call of an AI receptionist or calling agent. "
    "Read the transcript (lines labelled Agent: and Caller:, the caller being whoever "
    "the agent spoke with) and the outcome facts after it. Answer in the given JSON "
    "schema only: 'summary' is one or two sentences in English saying what the caller "
    "wanted and how the call ended; 'sentiment' is the caller's overall mood, POSITIVE, "
    "NEGATIVE or NEUTRAL; 'success' is true only if the caller got what they called for. "
    "'extraction' holds each requested field, taken from what was said; null when the "
    "call did not say it. Never invent facts."
)
MAX_SUMMARY_CHARS: Final = 2000
# A logged call's transcript is whatever the business's agent sent: beyond this it is cut
# (head and tail kept), so one huge call cannot exceed the model's context and fail
# every attempt. About 15,000 tokens, far more than any phone call says.
MAX_TRANSCRIPT_CHARS: Final = 60_000


@dataclass(frozen=True)
class ExtractionField:
    """One of an assistant's own extraction fields: a name, a JSON type and what it is."""

    name: str
    type: FieldType = "string"
    description: str = ""


@dataclass(frozen=True)
class CallAnalysis:
    summary: str
    sentiment: Sentiment
    success: bool
    extraction: Mapping[str, ExtractionValue] = field(default_factory=dict)


class InvalidAnalysis(ValueError):
    """The LLM's answer is not the schema's shape: retried like any failure."""


def render_transcript(lines: Sequence[tuple[str, str]]) -> str:
    """``(speaker, text)`` pairs as labelled lines; our conversations' ``callee`` (the
    other party, whoever placed the call) reads as the caller."""
    labels = {"agent": "Agent", "callee": "Caller", "caller": "Caller"}
    return "\n".join(f"{labels.get(speaker, speaker.title())}: {' '.join(text.split())}"
                     for speaker, text in lines if text.strip())


def render_input(transcript: str, hints: Sequence[str]) -> str:
    if len(transcript) > MAX_TRANSCRIPT_CHARS:
        half = MAX_TRANSCRIPT_CHARS // 2
        transcript = f"{transcript[:half]}\n[… transcript cut …]\n{transcript[-half:]}"
    facts = "\n".join(hint for hint in hints if hint)
    return f"Transcript:\n{transcript}\n\nOutcome facts:\n{facts or 'none'}"


def output_schema(fields: Sequence[ExtractionField]) -> dict[str, Any]:
    """The JSON schema of the answer, in the strict subset OpenAI's structured outputs
    accept: every property required, no additional ones, optional values nullable.
    ``extraction`` is there only when the assistant defines fields (an object without
    properties is no use to the model)."""
    properties: dict[str, Any] = {
        "summary": {"type": "string", "description": "what the call was about"},
        "sentiment": {"type": "string", "enum": list(SENTIMENTS)},
        "success": {"type": "boolean"},
    }
    if fields:
        extraction = {
            f.name: {"type": [f.type, "null"], "description": f.description or f.name}
            for f in fields
        }
        properties["extraction"] = {"type": "object", "properties": extraction,
                                    "required": list(extraction),
                                    "additionalProperties": False}
    return {"type": "object", "properties": properties, "required": list(properties),
            "additionalProperties": False}


_PY_TYPES: Final[dict[str, tuple[type, ...]]] = {
    "string": (str,), "number": (int, float), "integer": (int,), "boolean": (bool,),
}


def parse_analysis(answer: Any, fields: Sequence[ExtractionField]) -> CallAnalysis:
    """Check the decoded answer against the schema: a model may still answer badly (a
    refusal, a truncated answer, a wrong type), and a bad answer must never become an
    event."""
    if not isinstance(answer, dict):
        raise InvalidAnalysis("the answer is not a JSON object")
    summary, sentiment, success = (answer.get(k) for k in ("summary", "sentiment", "success"))
    if not isinstance(summary, str) or not summary.strip():
        raise InvalidAnalysis("summary missing or empty")
    if sentiment not in SENTIMENTS:
        raise InvalidAnalysis(f"sentiment {sentiment!r} is not one of {', '.join(SENTIMENTS)}")
    if not isinstance(success, bool):
        raise InvalidAnalysis("success is not a boolean")
    raw = answer.get("extraction")
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise InvalidAnalysis("extraction is not an object")
    extraction: dict[str, ExtractionValue] = {}
    for f in fields:
        value = raw.get(f.name)
        # bool is an int in Python: an integer field must not take True.
        wrong_bool = isinstance(value, bool) and f.type != "boolean"
        if value is not None and (wrong_bool or not isinstance(value, _PY_TYPES[f.type])):
            raise InvalidAnalysis(f"extraction field {f.name} is not a {f.type}")
        extraction[f.name] = cast(ExtractionValue, value)
    return CallAnalysis(summary=summary.strip()[:MAX_SUMMARY_CHARS],
                        sentiment=cast(Sentiment, sentiment), success=success,
                        extraction=extraction)
