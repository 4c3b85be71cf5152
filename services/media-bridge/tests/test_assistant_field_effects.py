"""What a call makes of each field of a catalog assistant, pinned against the kernel's
``ASSISTANT_FIELD_EFFECTS`` (catalog-service's ``not_in_effect`` is tested against the
same table): a field the table says is ignored changes nothing the model is told; a
honoured one does; one honoured within the Realtime API's limits does inside them and
falls back outside them. From the catalog's ``AssistantState`` to the ``session.update``
the Realtime API receives, through ``AssistantProfile.of`` and ``assistant_session``."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from media_bridge.domain.assistant_session import AssistantProfile, assistant_session
from media_bridge.domain.booking_call import SessionSpec
from ringbook.contracts.catalog import (
    ASSISTANT_FIELD_EFFECTS,
    REALTIME_MAX_OUTPUT_TOKENS,
    REALTIME_SPEED_RANGE,
    AssistantState,
)

DEFAULT = "You are the default receptionist."
# Seed 001's assistant, with values a call can honour where there is a choice.
BASE = AssistantState(
    name="Kundenservice Bot", description="Beantwortet Fragen",
    system_prompt="Du bist die Rezeption.", llm_provider="OpenAI", llm_model="gpt-realtime",
    temperature=0.7, max_tokens=1000, voice_provider="OpenAI", voice_id="coral",
    voice_speed=1.1, language="de-DE", fallback_language="en-US",
    first_message="Guten Tag!", status="deployed", capabilities={"book_appointments": True},
)
# A different value for each field (for the ignored ones, what seed 001's frontend sends).
OTHER: dict[str, Any] = {
    "name": "Empfang", "description": "Anders", "system_prompt": "Du bist der Empfang.",
    "llm_provider": "Anthropic", "llm_model": "gpt-4o", "temperature": 0.1,
    "max_tokens": 200, "voice_provider": "ElevenLabs", "voice_id": "sage",
    "voice_speed": 0.8, "voice_pitch": 1.2, "voice_stability": 0.5, "language": "en-GB",
    "fallback_language": "fr", "first_message": "Hallo!", "interruption_sensitivity": 0.9,
    "silence_timeout": 4.0, "response_delay": 0.3, "status": "draft",
    "capabilities": {"book_appointments": False}, "is_active": False,
    "analysis_fields": ({"name": "party_size", "type": "integer"},),
}
# Values outside the Realtime API's limits, and the value a call uses for them instead.
OUTSIDE: dict[str, list[tuple[Any, Any]]] = {
    "max_tokens": [(REALTIME_MAX_OUTPUT_TOKENS + 1, REALTIME_MAX_OUTPUT_TOKENS),
                   (10_000, REALTIME_MAX_OUTPUT_TOKENS)],
    "voice_id": [("german-female-professional", None), ("21m00Tcm4TlvDq8ikWAM", None)],
    "voice_speed": [(REALTIME_SPEED_RANGE[0] - 0.05, None), (REALTIME_SPEED_RANGE[1] + 0.1, None),
                    (3.0, None)],
}
SPEC_FIELD = {"max_tokens": "max_output_tokens", "voice_id": "voice", "voice_speed": "speed"}


def spec_of(state: AssistantState) -> SessionSpec | None:
    """What the model is told for ``state``; None: the default receptionist answers."""
    profile = AssistantProfile.of(uuid.uuid4(), uuid.uuid4(), state)
    return None if profile is None else assistant_session(profile, date(2026, 1, 15), DEFAULT)


def test_the_table_names_every_field_of_an_assistant_and_every_one_is_varied_here() -> None:
    assert set(ASSISTANT_FIELD_EFFECTS) == set(AssistantState.model_fields) == set(OTHER)


def test_the_base_assistant_is_answered_with_every_honoured_value() -> None:
    spec = spec_of(BASE)
    assert spec is not None
    assert (spec.voice, spec.speed, spec.max_output_tokens) == ("coral", 1.1, 1000)
    assert spec.first_message == "Guten Tag!"
    assert spec.instructions.startswith("Du bist die Rezeption.")
    assert "Speak German (de-DE)." in spec.instructions and "(en-US)" in spec.instructions


@pytest.mark.parametrize("field", sorted(ASSISTANT_FIELD_EFFECTS))
def test_a_call_honours_exactly_what_the_field_table_says(field: str) -> None:
    effect = ASSISTANT_FIELD_EFFECTS[field]
    base = spec_of(BASE)
    changed = spec_of(BASE.model_copy(update={field: OTHER[field]}))
    if effect in ("ignored", "openai_only", "not_a_call_setting"):
        # openai_only: the call is OpenAI's whatever the field says, so OpenAI is in effect
        # and any other provider is not (catalog-service lists those).
        assert changed == base, f"{field} ({effect}) changed what the model is told"
    elif effect == "honoured":
        assert changed != base, f"{field} is honoured, yet changed nothing"
    else:
        assert effect == "realtime_limits"
        assert changed != base and changed is not None
        assert getattr(changed, SPEC_FIELD[field]) == OTHER[field]
        for value, used in OUTSIDE[field]:
            outside = spec_of(BASE.model_copy(update={field: value}))
            assert outside is not None and getattr(outside, SPEC_FIELD[field]) == used
            assert outside == spec_of(BASE.model_copy(update={field: used}))


def test_an_inactive_assistant_is_not_the_one_that_answers() -> None:
    assert spec_of(BASE.model_copy(update={"is_active": False})) is None


@pytest.mark.parametrize("speed", list(REALTIME_SPEED_RANGE))
def test_the_speed_range_is_inclusive(speed: float) -> None:
    spec = spec_of(BASE.model_copy(update={"voice_speed": speed}))
    assert spec is not None and spec.speed == speed
