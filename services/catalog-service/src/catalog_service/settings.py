"""catalog-service settings: the kernel's (ServiceSettings, SecretBoxSettings), the
knowledge files' (FileStoreSettings: FILE_MAX_BYTES, FILE_STORE, S3_*, EXTRACTION_*), the
leads' (LeadSettings: OPENAI_*, LEAD_*, AI_RATE_LIMIT), and these.

==============================  ===========================================================
SECRETS_ENCRYPTION_KEYS         Fernet keys sealing tools' headers, credentials and signing
                                secrets (the first seals, all open; the public development
                                key only with ENVIRONMENT=development)
TOOL_ALLOW_PRIVATE_ADDRESSES    accept tool endpoints on private, loopback or link-local
                                addresses (false); only with ENVIRONMENT=development, for
                                local demos: any other environment refuses to start with it
TELEPHONY_PROVIDER              "simulated" (a number is only claimed) or "twilio" (a
                                number is imported from the Twilio account and pointed at
                                call-orchestrator)
TWILIO_ACCOUNT_SID / _AUTH_TOKEN  the Twilio account's credentials (simulated defaults only
                                with ENVIRONMENT=development)
TWILIO_API_BASE_URL             override of Twilio's API host (the simulated carrier's URL)
PUBLIC_WEBHOOK_BASE_URL         how Twilio reaches call-orchestrator: a number's voice URL
                                becomes <this>/webhook/incoming-call, its status callback
                                <this>/webhook/call-status (https in production)
SEND_BOOKING_SMS                text the caller a confirmation of each booking, in their
                                language, through Twilio's Messages API (false); the
                                simulated carrier records it in development
BOOKING_SMS_FROM                the sender of those texts (E.164 or an alphanumeric sender
                                id); empty: the business's own number
FUNCTION_HANDLER_RATE_LIMIT     POST /api/function-handler per business number (context.to),
                                "30/minute"; "" turns it off
BOOKINGS_API_RATE_LIMIT         /api/bookings per tenant, "20/minute"; "" turns it off
==============================  ===========================================================
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import SecretStr, field_validator, model_validator
from ringbook.secret_box import SecretBoxSettings
from ringbook.settings import Environment
from ringbook.web.rate_limits import RateLimits

from catalog_service.file_settings import FileStoreSettings
from catalog_service.lead_settings import LeadSettings

SIMULATED_ACCOUNT_SID = "ACsimulated00000000000000000000000"
SIMULATED_AUTH_TOKEN = "simulated-auth-token"
FUNCTION_HANDLER = "function_handler"
BOOKINGS_API = "bookings_api"
AI_API = "ai"


class CatalogSettings(FileStoreSettings, SecretBoxSettings, LeadSettings):
    service_name: str = "catalog-service"
    http_port: int = 8003

    tool_allow_private_addresses: bool = False

    telephony_provider: Literal["simulated", "twilio"] = "simulated"
    twilio_account_sid: str = SIMULATED_ACCOUNT_SID
    twilio_auth_token: SecretStr = SecretStr(SIMULATED_AUTH_TOKEN)
    twilio_api_base_url: str | None = None
    public_webhook_base_url: str = "http://127.0.0.1:8001"
    send_booking_sms: bool = False
    booking_sms_from: str | None = None

    function_handler_rate_limit: str = "30/minute"
    bookings_api_rate_limit: str = "20/minute"
    ai_rate_limit: str = "60/minute"

    @field_validator("function_handler_rate_limit", "bookings_api_rate_limit", "ai_rate_limit")
    @classmethod
    def _a_rate_limit(cls, value: str) -> str:
        if value:
            RateLimits({"check": value})  # raises ValueError on a malformed limit
        return value

    def rate_limits(self) -> RateLimits:
        return RateLimits({FUNCTION_HANDLER: self.function_handler_rate_limit,
                           BOOKINGS_API: self.bookings_api_rate_limit,
                           AI_API: self.ai_rate_limit})

    @model_validator(mode="after")
    def _private_addresses_only_in_development(self) -> Self:
        if self.tool_allow_private_addresses and self.environment is not Environment.DEVELOPMENT:
            raise ValueError(
                "TOOL_ALLOW_PRIVATE_ADDRESSES lets tenants reach private networks; it is "
                f"allowed only with ENVIRONMENT=development (not {self.environment.value})")
        return self

    def development_values_in_use(self) -> list[str]:
        public = super().development_values_in_use()
        if self.telephony_provider == "twilio":
            if self.twilio_auth_token.get_secret_value() in ("", SIMULATED_AUTH_TOKEN):
                public.append("TWILIO_AUTH_TOKEN")
            if self.twilio_account_sid == SIMULATED_ACCOUNT_SID:
                public.append("TWILIO_ACCOUNT_SID")
        return public

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.telephony_provider != "twilio":
            problems.append("TELEPHONY_PROVIDER must be twilio in production")
        if not self.public_webhook_base_url.startswith("https://"):
            problems.append("PUBLIC_WEBHOOK_BASE_URL must be https in production")
        return problems
