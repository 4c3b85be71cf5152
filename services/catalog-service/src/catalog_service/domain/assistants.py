"""Assistants: the rules for their fields, and which fields a call can honour. Pure.

Calls run on the OpenAI Realtime API (media-bridge): one speech-to-speech model with its
own voices. Seed 001's assistants were written for a pipeline of separate providers
(an LLM, a TTS voice from ElevenLabs, ...), so some of their fields have nothing to act
on. They are stored as given (a business may move to a pipeline that honours them), and
:func:`not_in_effect` says, for each assistant, which of its values a call ignores and
why, so a GET never pretends a setting works.
"""

from __future__ import annotations

from dataclasses import dataclass

import langcodes
from ringbook.contracts.catalog import AssistantState

# The Realtime API's built-in voices (its session.audio.output.voice).
REALTIME_VOICES = (
    "alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar",
)
# The Realtime API's bound on max_output_tokens (1 to 4096, or "inf").
REALTIME_MAX_OUTPUT_TOKENS = 4096
# voice_speed the Realtime API accepts (session.audio.output.speed).
REALTIME_SPEED_RANGE = (0.25, 1.5)
_REALTIME_MODEL_PREFIXES = (
    "gpt-realtime", "gpt-4o-realtime-preview", "gpt-4o-mini-realtime-preview",
)
MAX_LANGUAGE_TAG_CHARS = 35


class InvalidLanguage(ValueError):
    pass


def language_tag(raw: str) -> str:
    """``raw`` as a normalized BCP 47 tag ("de_de" -> "de-DE"), or InvalidLanguage."""
    text = raw.strip()
    if not text or len(text) > MAX_LANGUAGE_TAG_CHARS or not langcodes.tag_is_valid(text):
        raise InvalidLanguage(f"{raw!r} is not a BCP 47 language tag (e.g. 'de-DE', 'en')")
    tag = str(langcodes.standardize_tag(text))
    if tag == "und":
        raise InvalidLanguage("'und' (undetermined) names no language")
    return tag


def is_realtime_model(model: str) -> bool:
    return model.strip().lower().startswith(_REALTIME_MODEL_PREFIXES)


def _is_openai(provider: str) -> bool:
    return provider.strip().lower() in ("openai", "open ai", "openai realtime")


@dataclass(frozen=True)
class NotInEffect:
    field: str
    value: object
    reason: str


def not_in_effect(state: AssistantState) -> list[NotInEffect]:
    """The assistant's stored values that a call does not honour, each with why.

    In effect: ``system_prompt`` (the instructions), ``first_message``, ``language`` and
    ``fallback_language`` (told to the model), ``voice_id`` when it is a Realtime voice,
    ``voice_speed`` (the output speed, 0.25 to 1.5), ``max_tokens`` (``max_output_tokens``, up to
    4096), and the linked tools and files.
    """
    found: list[NotInEffect] = []

    def add(field: str, value: object, reason: str) -> None:
        found.append(NotInEffect(field, value, reason))

    if not _is_openai(state.llm_provider):
        add("llm_provider", state.llm_provider,
            "calls run on the OpenAI Realtime API, a single speech-to-speech model; "
            "no other language model takes part")
    if not is_realtime_model(state.llm_model):
        add("llm_model", state.llm_model,
            "not a Realtime model: calls use the platform's realtime model "
            "(media-bridge's REALTIME_MODEL, e.g. gpt-realtime)")
    add("temperature", state.temperature,
        "the Realtime API (GA) has no sampling temperature; the model's own is used")
    if state.max_tokens > REALTIME_MAX_OUTPUT_TOKENS:
        add("max_tokens", state.max_tokens,
            f"the Realtime API caps max_output_tokens at {REALTIME_MAX_OUTPUT_TOKENS}; "
            f"answers are limited to {REALTIME_MAX_OUTPUT_TOKENS} tokens")
    voices = ", ".join(REALTIME_VOICES)
    if not _is_openai(state.voice_provider):
        add("voice_provider", state.voice_provider,
            f"calls use the OpenAI Realtime API's own voices ({voices}); "
            "no text-to-speech provider takes part")
    if state.voice_id is not None and state.voice_id.strip().lower() not in REALTIME_VOICES:
        add("voice_id", state.voice_id,
            f"not a Realtime voice ({voices}): calls use the platform's default voice "
            "(media-bridge's REALTIME_VOICE)")
    low, high = REALTIME_SPEED_RANGE
    if state.voice_speed is not None and not low <= state.voice_speed <= high:
        add("voice_speed", state.voice_speed,
            f"the Realtime API speaks at {low} to {high} times the normal speed; "
            "calls use the normal speed")
    if state.voice_pitch is not None:
        add("voice_pitch", state.voice_pitch, "the Realtime API's voices have no pitch setting")
    if state.voice_stability is not None:
        add("voice_stability", state.voice_stability,
            "voice stability is an ElevenLabs setting; the Realtime API's voices have none")
    for field, value in (
        ("interruption_sensitivity", state.interruption_sensitivity),
        ("silence_timeout", state.silence_timeout),
        ("response_delay", state.response_delay),
    ):
        if value is not None:
            add(field, value,
                "turn-taking is the Realtime API's server voice activity detection with "
                "the platform's settings; per-assistant values are not applied")
    return found
