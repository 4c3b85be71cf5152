"""The catalog's pure rules: numbers, business hours, languages, not_in_effect."""

from __future__ import annotations

import pytest
from catalog_service.domain.assistants import (
    InvalidLanguage,
    language_tag,
    not_in_effect,
)
from catalog_service.domain.business_hours import (
    InvalidBusinessHours,
    iana_zone,
    weekly_hours_text,
)
from catalog_service.domain.numbers import InvalidNumber, country_of, e164
from ringbook.contracts.catalog import (
    ASSISTANT_FIELD_EFFECTS,
    REALTIME_MAX_OUTPUT_TOKENS,
    REALTIME_SPEED_RANGE,
    AssistantState,
)
from ringbook.weekly_hours import WeeklyHours


def test_numbers_are_normalized_to_e164() -> None:
    assert e164("+4930123456") == "+4930123456"
    assert e164("+49 30 123456") == "+4930123456"
    assert e164("+1 (212) 555-0100") == "+12125550100"
    assert e164("+1-212-555-0100") == "+12125550100"


@pytest.mark.parametrize(
    "raw",
    ["", "030 123456", "+49", "+999123456", "hello", "+4930123456x9x", "+4930l23456",
     # seed 002's sample: seven digits after +1 is no North American number
     "+1-555-0100"],
)
def test_bad_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidNumber):
        e164(raw)


def test_country_of_a_number() -> None:
    assert country_of("+4930123456") == "DE"
    assert country_of("+12125550100") == "US"


def test_time_zones_must_be_iana_keys() -> None:
    assert iana_zone("Europe/Berlin") == "Europe/Berlin"
    for bad in ("Mars/Olympus", "europe/berlin", "../../etc/passwd", "", "CEST"):
        with pytest.raises(InvalidBusinessHours):
            iana_zone(bad)


def test_weekly_hours_are_what_the_orchestrator_parses_in_its_spelling() -> None:
    assert weekly_hours_text("  Mon-Fri 08:00-18:00 ") == "mon-fri 08:00-18:00"
    assert weekly_hours_text("always") == "always"
    text = weekly_hours_text("mon-fri 08:00-12:00,13:00-18:00; sat 09:00-13:00")
    assert WeeklyHours.parse(text) == WeeklyHours.parse(
        "mon-fri 08:00-12:00,13:00-18:00; sat 09:00-13:00")


@pytest.mark.parametrize(
    "bad", ["", "   ", "x" * 501, "whenever", "mon 25:00-26:00", "mon-fri 18:00-08:00",
            "mon 08:00-12:00,11:00-13:00"])
def test_weekly_hours_the_orchestrator_cannot_obey_are_refused(bad: str) -> None:
    with pytest.raises(InvalidBusinessHours):
        weekly_hours_text(bad)


def test_language_tags_are_bcp47_and_normalized() -> None:
    assert language_tag("de-DE") == "de-DE"
    assert language_tag("de_de") == "de-DE"
    assert language_tag("EN-us") == "en-US"
    assert language_tag("zh-Hant-TW") == "zh-Hant-TW"
    for bad in ("", "german", "xx-YY", "a", "und", "x" * 36):
        with pytest.raises(InvalidLanguage):
            language_tag(bad)


def fields(state: AssistantState) -> dict[str, object]:
    return {n.field: n.value for n in not_in_effect(state)}


def test_an_assistant_the_realtime_pipeline_can_honour_has_only_model_and_temperature_listed(
) -> None:
    state = AssistantState(name="Empfang", voice_id="marin", voice_speed=1.1, max_tokens=800)
    assert fields(state) == {"llm_model": "gpt-realtime", "temperature": 0.7}


def test_seed_001s_assistant_lists_what_is_not_in_effect_and_why() -> None:
    state = AssistantState(
        name="Kundenservice Bot", llm_provider="OpenAI", llm_model="gpt-4o", temperature=0.7,
        max_tokens=1000, voice_provider="ElevenLabs", voice_id="german-female-professional",
        voice_pitch=1.0, voice_stability=0.5, interruption_sensitivity=0.5,
    )
    listed = not_in_effect(state)
    assert [n.field for n in listed] == [
        "llm_model", "temperature", "voice_provider", "voice_id", "voice_pitch",
        "voice_stability", "interruption_sensitivity"]
    by_field = {n.field: n for n in listed}
    assert by_field["voice_provider"].value == "ElevenLabs"
    assert "OpenAI Realtime API's own voices" in by_field["voice_provider"].reason
    assert "marin" in by_field["voice_id"].reason
    assert "llm_provider" not in by_field  # OpenAI is what calls use


def test_other_providers_and_too_many_tokens_are_listed() -> None:
    state = AssistantState(name="x", llm_provider="Anthropic", max_tokens=10_000,
                           silence_timeout=5, response_delay=0.5, voice_speed=3.0)
    listed = fields(state)
    assert listed["llm_provider"] == "Anthropic"
    assert listed["max_tokens"] == 10_000
    assert listed["voice_speed"] == 3.0
    assert {"silence_timeout", "response_delay"} <= set(listed)


# For each kind of field in the kernel's table: values a call honours, values it does not.
# media-bridge's test_assistant_session pins the same table from the call's side.
_WITHIN_LIMITS: dict[str, tuple[list[object], list[object]]] = {
    "max_tokens": ([1, 800, REALTIME_MAX_OUTPUT_TOKENS], [REALTIME_MAX_OUTPUT_TOKENS + 1, 10_000]),
    "voice_id": ([None, "marin", " Coral "], ["german-female-professional", "21m00Tcm4TlvDq8ikWAM"]),
    "voice_speed": ([None, *REALTIME_SPEED_RANGE, 1.0], [0.2, 1.6, 3.0]),
}
_SET_VALUES: dict[str, object] = {
    "llm_model": "gpt-realtime-mini", "temperature": 0.2, "voice_pitch": 1.0,
    "voice_stability": 0.5, "interruption_sensitivity": 0.5, "silence_timeout": 5.0,
    "response_delay": 0.5,
}


def test_the_field_table_names_every_field_of_an_assistant() -> None:
    assert set(ASSISTANT_FIELD_EFFECTS) == set(AssistantState.model_fields)


@pytest.mark.parametrize("field", sorted(ASSISTANT_FIELD_EFFECTS))
def test_not_in_effect_lists_exactly_what_the_field_table_says_a_call_ignores(field: str) -> None:
    effect = ASSISTANT_FIELD_EFFECTS[field]
    default = AssistantState(name="x")
    always = set(fields(default))  # what the defaults already list (model, temperature)
    assert always == {f for f, e in ASSISTANT_FIELD_EFFECTS.items()
                      if e == "ignored" and getattr(default, f) is not None}

    def listed(value: object) -> bool:
        return field in fields(default.model_copy(update={field: value}))

    if effect == "ignored":
        assert listed(_SET_VALUES[field])
    elif effect == "openai_only":
        assert not listed("OpenAI") and not listed("openai")
        assert listed("ElevenLabs") and listed("Anthropic")
    elif effect == "realtime_limits":
        honoured, not_honoured = _WITHIN_LIMITS[field]
        assert not any(listed(v) for v in honoured)
        assert all(listed(v) for v in not_honoured)
    else:  # honoured, or not a call setting: never listed, whatever the value
        assert effect in ("honoured", "not_a_call_setting")
        sample = {"is_active": False, "status": "deployed", "capabilities": {"x": True},
                  "language": "en-US"}.get(field, "anything")
        assert not listed(sample)
