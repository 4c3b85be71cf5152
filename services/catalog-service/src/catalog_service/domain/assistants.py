"""Assistants: the rules for their fields, and which fields a call can honour. Pure.

Calls run on the OpenAI Realtime API (media-bridge): one speech-to-speech model with its
own voices. Seed 001's assistants were written for a pipeline of separate providers
(an LLM, a TTS voice from ElevenLabs, ...), so some of their fields have nothing to act
on. They are stored as given (a business may move to a pipeline that honours them), and
:func:`not_in_effect` says, for each assistant, which of its values a call ignores and
why, so a GET never pretends a setting works. Which fields those are is the kernel's
``ASSISTANT_FIELD_EFFECTS`` (media-bridge is tested against the same table).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import langcodes
from ringbook.contracts.catalog import (
    ASSISTANT_FIELD_EFFECTS,
    REALTIME_MAX_OUTPUT_TOKENS,
    REALTIME_SPEED_RANGE,
    REALTIME_VOICES,
    AnalysisField,
    AssistantState,
    is_openai,
)

_TURN_TAKING = ("turn-taking is the Realtime API's server voice activity detection with "
                "the platform's settings; per-assistant values are not applied")
# Why each "ignored" field of ASSISTANT_FIELD_EFFECTS has no effect.
_IGNORED_BECAUSE = {
    "llm_model": "calls use the platform's realtime model for every assistant "
                 "(media-bridge's REALTIME_MODEL, gpt-realtime by default)",
    "temperature": "the Realtime API (GA) has no sampling temperature; the model's own is used",
    "voice_pitch": "the Realtime API's voices have no pitch setting",
    "voice_stability": "voice stability is an ElevenLabs setting; "
                       "the Realtime API's voices have none",
    "interruption_sensitivity": _TURN_TAKING,
    "silence_timeout": _TURN_TAKING,
    "response_delay": _TURN_TAKING,
}
MAX_LANGUAGE_TAG_CHARS = 35
# Each field is one more thing post-call analysis asks the model for on every call: a
# bound keeps that prompt (and its answer) small.
MAX_ANALYSIS_FIELDS = 20


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


def analysis_field_set(fields: Sequence[AnalysisField]) -> list[AnalysisField]:
    """An assistant's extraction fields as given, or ValueError: at most
    MAX_ANALYSIS_FIELDS, and no name twice (a name is a key of the call's ``extraction``
    object, so a second field of that name could never be told apart)."""
    if len(fields) > MAX_ANALYSIS_FIELDS:
        raise ValueError(f"at most {MAX_ANALYSIS_FIELDS} fields, not {len(fields)}")
    names = [f.name for f in fields]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"each name once: {', '.join(twice)} given more than once")
    return list(fields)


@dataclass(frozen=True)
class NotInEffect:
    field: str
    value: object
    reason: str


def not_in_effect(state: AssistantState) -> list[NotInEffect]:
    """The assistant's stored values that a call does not honour, each with why, in the
    order of ``ASSISTANT_FIELD_EFFECTS``.

    In effect: ``system_prompt`` (the instructions), ``first_message``, ``language`` and
    ``fallback_language`` (told to the model), ``is_active``, ``voice_id`` when it is a
    Realtime voice, ``voice_speed`` from 0.25 to 1.5, ``max_tokens`` (``max_output_tokens``,
    up to 4096), ``llm_provider`` and ``voice_provider`` when they are OpenAI, and the linked
    tools and files.
    """
    found: list[NotInEffect] = []
    voices = ", ".join(REALTIME_VOICES)
    low, high = REALTIME_SPEED_RANGE
    for field, effect in ASSISTANT_FIELD_EFFECTS.items():
        value = getattr(state, field)
        if effect == "ignored" and value is not None:
            found.append(NotInEffect(field, value, _IGNORED_BECAUSE[field]))
        elif field == "llm_provider" and not is_openai(state.llm_provider):
            found.append(NotInEffect(field, value,
                "calls run on the OpenAI Realtime API, a single speech-to-speech model; "
                "no other language model takes part"))
        elif field == "voice_provider" and not is_openai(state.voice_provider):
            found.append(NotInEffect(field, value,
                f"calls use the OpenAI Realtime API's own voices ({voices}); "
                "no text-to-speech provider takes part"))
        elif field == "max_tokens" and state.max_tokens > REALTIME_MAX_OUTPUT_TOKENS:
            found.append(NotInEffect(field, value,
                f"the Realtime API caps max_output_tokens at {REALTIME_MAX_OUTPUT_TOKENS}; "
                f"answers are limited to {REALTIME_MAX_OUTPUT_TOKENS} tokens"))
        elif (field == "voice_id" and state.voice_id is not None
              and state.voice_id.strip().lower() not in REALTIME_VOICES):
            found.append(NotInEffect(field, value,
                f"not a Realtime voice ({voices}): calls use the platform's default voice "
                "(media-bridge's REALTIME_VOICE)"))
        elif (field == "voice_speed" and state.voice_speed is not None
              and not low <= state.voice_speed <= high):
            found.append(NotInEffect(field, value,
                f"the Realtime API speaks at {low} to {high} times the normal speed; "
                "calls use the normal speed"))
    return found
