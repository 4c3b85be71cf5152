"""The prices a call's cost is worked out at (``domain.call_cost``), from the environment.

===============================  ====================================================
PRICE_CURRENCY                   ISO 4217 code every price is in (USD)
PRICE_CARRIER_PER_MINUTE         carrier, per started minute of a call (0.014)
PRICE_TEXT_INPUT_PER_MTOK        realtime model, per million text input tokens (4.00)
PRICE_AUDIO_INPUT_PER_MTOK       … audio input tokens (32.00)
PRICE_CACHED_INPUT_PER_MTOK      … cached input tokens, text or audio (0.40)
PRICE_TEXT_OUTPUT_PER_MTOK       … text output tokens (16.00)
PRICE_AUDIO_OUTPUT_PER_MTOK      … audio output tokens (64.00)
===============================  ====================================================

Where the defaults come from, so they can be checked and updated:

* the model's are OpenAI's published prices of ``gpt-realtime`` (the model media-bridge
  uses by default, ``REALTIME_MODEL``), announced on 2025-08-28 with the model's general
  availability ("Introducing gpt-realtime", openai.com) and listed on its model page
  (platform.openai.com/docs/models/gpt-realtime): audio $32 in, $0.40 cached, $64 out;
  text $4 in, $0.40 cached, $16 out, per million tokens. Cached text and cached audio
  have the same price there, hence one setting;
* the carrier's is Twilio's published US price for an outbound call to a US number,
  $0.0140 a minute, as listed on twilio.com/en-us/voice/pricing/us in 2025 (receiving
  a call on a local number was $0.0085 a minute; set that for inbound-only use).

Prices change and differ per account, country and volume: set them to your own.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field
from ringbook.settings import ServiceSettings

from analytics_service.domain.call_cost import Prices


class PricingSettings(ServiceSettings):
    price_currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    price_carrier_per_minute: Decimal = Field(default=Decimal("0.014"), ge=0)
    price_text_input_per_mtok: Decimal = Field(default=Decimal("4.00"), ge=0)
    price_audio_input_per_mtok: Decimal = Field(default=Decimal("32.00"), ge=0)
    price_cached_input_per_mtok: Decimal = Field(default=Decimal("0.40"), ge=0)
    price_text_output_per_mtok: Decimal = Field(default=Decimal("16.00"), ge=0)
    price_audio_output_per_mtok: Decimal = Field(default=Decimal("64.00"), ge=0)

    @property
    def prices(self) -> Prices:
        return Prices(
            carrier_per_minute=self.price_carrier_per_minute,
            text_input_per_mtok=self.price_text_input_per_mtok,
            audio_input_per_mtok=self.price_audio_input_per_mtok,
            cached_input_per_mtok=self.price_cached_input_per_mtok,
            text_output_per_mtok=self.price_text_output_per_mtok,
            audio_output_per_mtok=self.price_audio_output_per_mtok,
            currency=self.price_currency,
        )
