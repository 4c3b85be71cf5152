"""What a call cost: the carrier's minutes and the realtime model's tokens, each at its
price setting (``pricing_settings.PricingSettings``). Pure; Decimal throughout, so a
sum of many calls is exact to the last digit shown.

* **Carrier**: minutes times the price per minute, where a call is billed per *started*
  minute, as Twilio bills voice calls: 1 s to 60 s is one minute, 61 s two. A call of
  no duration (never answered) costs nothing.
* **Model**: each kind of token at its price per million tokens: text input, audio
  input, text output, audio output, and cached input, which the Realtime API bills at
  its own, lower price instead of the input price. The usage names one cached count,
  which is part of the text and audio input counts without saying how much of each;
  it is taken from the two in proportion to their sizes (a call with 1,000 text and
  3,000 audio input tokens of which 2,000 cached has 500 cached text and 1,500 cached
  audio tokens). A call without a usage (the model reported none, or another agent
  logged it) has no model cost.

Each part is rounded to :data:`CENT_FRACTION` (a millionth of the currency unit),
half up; the total is the sum of the rounded parts, so the parts shown always add up
to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ringbook.contracts.calls import ModelUsage

SECONDS_PER_BILLED_MINUTE = 60
PER_MILLION = Decimal(1_000_000)
CENT_FRACTION = Decimal("0.000001")


@dataclass(frozen=True)
class Prices:
    """Per minute of a call, and per million tokens of each kind, in ``currency``."""

    carrier_per_minute: Decimal
    text_input_per_mtok: Decimal
    audio_input_per_mtok: Decimal
    cached_input_per_mtok: Decimal
    text_output_per_mtok: Decimal
    audio_output_per_mtok: Decimal
    currency: str = "USD"


@dataclass(frozen=True)
class CallCost:
    carrier: Decimal
    model: Decimal
    total: Decimal
    currency: str


def billed_minutes(duration_seconds: float) -> int:
    """Started minutes of a call (Twilio's billing); 0 for no, or no sane, duration."""
    if not math.isfinite(duration_seconds) or duration_seconds <= 0:
        return 0
    return math.ceil(duration_seconds / SECONDS_PER_BILLED_MINUTE)


def model_cost(prices: Prices, usage: ModelUsage) -> Decimal:
    """The usage's tokens at ``prices``, unrounded (see the module doc for cached)."""
    text, audio = Decimal(usage.input_text_tokens), Decimal(usage.input_audio_tokens)
    total_input = text + audio
    # Cached is part of the input; a usage claiming more (not ours) is held to it.
    cached = min(Decimal(usage.cached_input_tokens), total_input)
    uncached_share = (total_input - cached) / total_input if total_input else Decimal(0)
    cost = (
        text * uncached_share * prices.text_input_per_mtok
        + audio * uncached_share * prices.audio_input_per_mtok
        + cached * prices.cached_input_per_mtok
        + Decimal(usage.output_text_tokens) * prices.text_output_per_mtok
        + Decimal(usage.output_audio_tokens) * prices.audio_output_per_mtok
    )
    return cost / PER_MILLION


def _rounded(amount: Decimal) -> Decimal:
    return amount.quantize(CENT_FRACTION, rounding=ROUND_HALF_UP)


def cost_of_call(prices: Prices, duration_seconds: float, usage: ModelUsage | None
                 ) -> CallCost:
    carrier = _rounded(billed_minutes(duration_seconds) * prices.carrier_per_minute)
    model = _rounded(model_cost(prices, usage) if usage is not None else Decimal(0))
    return CallCost(carrier=carrier, model=model, total=carrier + model,
                    currency=prices.currency)


@dataclass(frozen=True)
class CostInputs:
    """What a call of the log is priced from, as its row holds it now."""

    direction: str | None
    duration_seconds: float | None
    usage: ModelUsage | None


@dataclass(frozen=True)
class PricedCall:
    billed_minutes: int
    cost: CallCost


def price_call(prices: Prices, call: CostInputs) -> PricedCall | None:
    """Our own calls (inbound, outbound) once their duration is known; a call another
    agent logged ran on its carrier and its model, whose prices we do not know: None."""
    if call.direction not in ("inbound", "outbound") or call.duration_seconds is None:
        return None
    return PricedCall(billed_minutes(call.duration_seconds),
                      cost_of_call(prices, call.duration_seconds, call.usage))
