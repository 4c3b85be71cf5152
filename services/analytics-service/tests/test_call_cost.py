"""A call's cost: carrier minutes per started minute, the model's tokens by kind with
cached input at its own price, Decimal to the millionth; and the price settings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from analytics_service.domain.call_cost import CallCost, Prices, billed_minutes, cost_of_call
from analytics_service.pricing_settings import PricingSettings
from pydantic import ValidationError
from ringbook.contracts.calls import ModelUsage

# Round numbers, so each expected cost can be checked by hand.
PRICES = Prices(
    carrier_per_minute=Decimal("0.01"),
    text_input_per_mtok=Decimal("4"),
    audio_input_per_mtok=Decimal("32"),
    cached_input_per_mtok=Decimal("0.4"),
    text_output_per_mtok=Decimal("16"),
    audio_output_per_mtok=Decimal("64"),
)


def usage(**tokens: int) -> ModelUsage:
    return ModelUsage(model="gpt-realtime", **tokens)


@pytest.mark.parametrize(("seconds", "minutes"), [
    (0.0, 0), (-3.0, 0), (float("nan"), 0), (float("inf"), 0),
    (0.4, 1), (60.0, 1), (60.001, 2), (119.9, 2), (120.0, 2), (3600.5, 61),
])
def test_the_carrier_bills_every_started_minute(seconds: float, minutes: int) -> None:
    assert billed_minutes(seconds) == minutes
    assert cost_of_call(PRICES, seconds, None).carrier == Decimal("0.01") * minutes


def test_each_kind_of_token_at_its_price() -> None:
    cost = cost_of_call(PRICES, 61.0, usage(
        input_text_tokens=1_000, input_audio_tokens=10_000,
        output_text_tokens=500, output_audio_tokens=2_000))
    # (1k * $4 + 10k * $32 + 500 * $16 + 2k * $64) per million.
    assert cost == CallCost(carrier=Decimal("0.020000"), model=Decimal("0.460000"),
                            total=Decimal("0.480000"), currency="USD")


def test_cached_input_is_taken_from_text_and_audio_in_proportion() -> None:
    # 2,000 of 4,000 input tokens cached: 500 of the text, 1,500 of the audio.
    cost = cost_of_call(PRICES, 0.0, usage(
        input_text_tokens=1_000, input_audio_tokens=3_000, cached_input_tokens=2_000))
    expected = (500 * 4 + 1_500 * 32 + 2_000 * Decimal("0.4")) / 1_000_000
    assert cost.model == expected.quantize(Decimal("0.000001")) == Decimal("0.050800")
    assert cost.carrier == 0 and cost.total == cost.model


def test_a_cached_count_above_the_input_is_held_to_it() -> None:
    all_cached = cost_of_call(PRICES, 0.0, usage(input_text_tokens=1_000, input_audio_tokens=0,
                                                 cached_input_tokens=1_000))
    claimed_more = cost_of_call(PRICES, 0.0, usage(input_text_tokens=1_000,
                                                   cached_input_tokens=5_000))
    assert all_cached.model == claimed_more.model == Decimal("0.000400")


def test_no_usage_and_no_tokens_cost_nothing_but_minutes() -> None:
    assert cost_of_call(PRICES, 30.0, None) == CallCost(
        Decimal("0.01"), Decimal("0.000000"), Decimal("0.010000"), "USD")
    assert cost_of_call(PRICES, 30.0, usage()).model == 0


def test_parts_are_rounded_half_up_to_the_millionth_and_add_up() -> None:
    # 1 audio output token: $0.000064; 1 cached token: $0.0000004 rounds to 0.
    one = cost_of_call(PRICES, 0.0, usage(output_audio_tokens=1))
    assert one.model == Decimal("0.000064")
    tiny = cost_of_call(PRICES, 0.0, usage(input_text_tokens=1, cached_input_tokens=1))
    assert tiny.model == Decimal("0.000000")
    odd = Prices(**{**PRICES.__dict__, "carrier_per_minute": Decimal("0.0000125")})
    cost = cost_of_call(odd, 1.0, usage(input_text_tokens=3, input_audio_tokens=7,
                                        cached_input_tokens=1))
    assert cost.carrier == Decimal("0.000013")  # half up
    assert cost.total == cost.carrier + cost.model


def test_price_settings_default_to_the_published_prices(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    prices = PricingSettings().prices
    assert prices == Prices(
        carrier_per_minute=Decimal("0.014"),
        text_input_per_mtok=Decimal("4.00"),
        audio_input_per_mtok=Decimal("32.00"),
        cached_input_per_mtok=Decimal("0.40"),
        text_output_per_mtok=Decimal("16.00"),
        audio_output_per_mtok=Decimal("64.00"),
        currency="USD",
    )
    monkeypatch.setenv("PRICE_CARRIER_PER_MINUTE", "0.0085")
    monkeypatch.setenv("PRICE_AUDIO_OUTPUT_PER_MTOK", "20")
    monkeypatch.setenv("PRICE_CURRENCY", "EUR")
    changed = PricingSettings().prices
    assert changed.carrier_per_minute == Decimal("0.0085")
    assert changed.audio_output_per_mtok == Decimal("20") and changed.currency == "EUR"


@pytest.mark.parametrize(("name", "value"), [
    ("PRICE_CARRIER_PER_MINUTE", "-0.01"),
    ("PRICE_TEXT_INPUT_PER_MTOK", "NaN"),
    ("PRICE_AUDIO_INPUT_PER_MTOK", "Infinity"),
    ("PRICE_CACHED_INPUT_PER_MTOK", "cheap"),
    ("PRICE_CURRENCY", "usd"),
])
def test_a_price_that_is_no_price_stops_the_service(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.lower()):
        PricingSettings()
