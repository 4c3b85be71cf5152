"""call-orchestrator settings (on top of the kernel's ServiceSettings and StreamTokenSettings).

==============================  ===========================================================
DEFAULT_BUSINESS_HOURS          weekly opening hours of callees: "mon-fri 08:00-18:00"
                                (default), "always", or e.g. "mon-fri 08:00-12:00,13:00-18:00";
                                a tenant's own hours for a number (catalog-service's
                                business hours) take their place for its calls there
DEFAULT_CALLEE_TIMEZONE         used when a number's zone cannot be derived (Europe/Berlin)
CALL_MAX_ATTEMPTS               attempts per request (3)
CALL_RETRY_DELAY_SECONDS        minimum spacing of retries (600); retries land in open hours
TELEPHONY_PROVIDER              "simulated" (the local simulated carrier) or "twilio"
TWILIO_ACCOUNT_SID / _AUTH_TOKEN  carrier credentials; the simulated defaults only with
                                ENVIRONMENT=development (the token also checks webhooks)
TWILIO_FROM_NUMBER              caller id, E.164
TWILIO_API_BASE_URL             override of Twilio's API host (the simulator's URL)
PUBLIC_BASE_URL                 how the carrier reaches this service (status callbacks; also
                                the URL Twilio signed, so it must match exactly)
MEDIA_STREAM_URL                the media-bridge websocket the call's audio connects to
MEDIA_STREAM_TOKEN_SECRET       signs the stream token each call's <Stream> carries (the same
                                value in media-bridge, which verifies it; >= 32 bytes; the
                                development default is refused unless ENVIRONMENT=development)
MEDIA_STREAM_TOKEN_TTL_SECONDS  how long a stream token admits its stream (120): from the
                                answer to the stream's start, greeting included
DIAL_RECONCILE_SECONDS          an attempt unconfirmed for this long counts as failed (120)
CARRIER_CALLS_PER_SECOND        dials per second across all replicas (1, a Twilio account's
                                default); CARRIER_DIAL_BURST calls may go back to back (1)
TENANT_MAX_CONCURRENT_CALLS     live outbound calls (dialing, ringing, answered) per tenant (10)
CARRIER_CHECK_PLACED_SECONDS    a ringing call with no status callback for this long is looked
                                up at the carrier (120; Twilio stops ringing after 60)
CARRIER_CHECK_CONNECTED_SECONDS an answered call with no callback for this long (longer than
                                a conversation should last) is looked up, and again every
                                so long while it lasts (900)
DIALER_SWEEP_SECONDS            the dialer's safety-net sweep when nothing wakes it (5)
INBOUND_TENANT_ID               tenant of inbound calls to a number no tenant configured in
                                catalog-service (a configured number's calls are its
                                owner's); a UUID, default the fixed dev tenant
                                00000000-0000-4000-8000-000000000001, only with
                                ENVIRONMENT=development
INBOUND_ASSISTANT               the name recorded on inbound call jobs ("receptionist");
                                media-bridge picks the number's own assistant by the line
INBOUND_GREETING                what the caller hears before the stream connects
INBOUND_VOICE / _LANGUAGE       <Say> voice ("alice") and language ("de-DE") of the greeting
INCOMING_CALL_RATE_LIMIT        incoming calls per business number (the number called), per
                                replica ("10/minute", seed 004's; "" turns it off); over
                                it the webhook answers 429 with Retry-After
==============================  ===========================================================
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from ringbook.settings import Environment
from ringbook.stream_tokens import StreamTokenSettings
from ringbook.web.rate_limits import RateLimits
from ringbook.weekly_hours import WeeklyHours

from call_orchestrator.application.carrier_reconcile import CarrierChecks
from call_orchestrator.domain.dial_pacing import DialLimits, DialRate
from call_orchestrator.domain.retry_policy import RetryPolicy

SIMULATED_ACCOUNT_SID = "ACsimulated00000000000000000000000"
SIMULATED_AUTH_TOKEN = "simulated-auth-token"
# The tenant of inbound calls in development and tests (no real tenant has it).
DEV_INBOUND_TENANT_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
# The name of the incoming-call limit in the service's RateLimits.
INCOMING_CALLS = "incoming_call"


class OrchestratorSettings(StreamTokenSettings):
    service_name: str = "call-orchestrator"
    http_port: int = 8001

    default_business_hours: str = "mon-fri 08:00-18:00"
    default_callee_timezone: str = "Europe/Berlin"
    call_max_attempts: int = Field(default=3, ge=1, le=20)
    call_retry_delay_seconds: float = Field(default=600, ge=0)

    telephony_provider: Literal["simulated", "twilio"] = "simulated"
    twilio_account_sid: str = SIMULATED_ACCOUNT_SID
    twilio_auth_token: SecretStr = SecretStr(SIMULATED_AUTH_TOKEN)
    twilio_from_number: str = "+49305550000"
    twilio_api_base_url: str | None = "http://127.0.0.1:8100"

    public_base_url: str = "http://127.0.0.1:8001"
    media_stream_url: str = "ws://127.0.0.1:8002/media-stream"
    media_stream_token_ttl_seconds: float = Field(default=120, ge=10, le=600)
    dial_reconcile_seconds: float = Field(default=120, ge=5)
    carrier_calls_per_second: float = Field(default=1.0, gt=0)
    carrier_dial_burst: int = Field(default=1, ge=1)
    tenant_max_concurrent_calls: int = Field(default=10, ge=1)
    carrier_check_placed_seconds: float = Field(default=120, ge=5)
    carrier_check_connected_seconds: float = Field(default=900, ge=5)
    dialer_sweep_seconds: float = Field(default=5.0, gt=0)
    # After the carrier reports an answered call ended, how long media-bridge's report
    # (call_completed) may take before the call counts as having had no conversation.
    conversation_report_grace_seconds: float = Field(default=60, ge=1)

    inbound_tenant_id: uuid.UUID = DEV_INBOUND_TENANT_ID
    inbound_assistant: str = Field(default="receptionist", min_length=1)
    inbound_greeting: str = "Willkommen. Einen Moment bitte…"
    inbound_voice: str = "alice"
    inbound_language: str = "de-DE"
    incoming_call_rate_limit: str = "10/minute"

    @field_validator("incoming_call_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        RateLimits({INCOMING_CALLS: value})  # a malformed limit fails at start-up
        return value

    @field_validator("default_business_hours")
    @classmethod
    def _hours_parse(cls, value: str) -> str:
        WeeklyHours.parse(value)  # raises a ValueError naming what is wrong
        return value

    @field_validator("default_callee_timezone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    def development_values_in_use(self) -> list[str]:
        public = super().development_values_in_use()
        if self.twilio_auth_token.get_secret_value() in ("", SIMULATED_AUTH_TOKEN):
            public.append("TWILIO_AUTH_TOKEN")  # it also checks the webhooks' signatures
        if self.telephony_provider == "twilio" and (
                self.twilio_account_sid == SIMULATED_ACCOUNT_SID):
            public.append("TWILIO_ACCOUNT_SID")
        if self.inbound_tenant_id == DEV_INBOUND_TENANT_ID:
            public.append("INBOUND_TENANT_ID")
        return public

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.telephony_provider != "twilio":
            problems.append("TELEPHONY_PROVIDER must be twilio in production")
        if not self.public_base_url.startswith("https://"):
            problems.append("PUBLIC_BASE_URL must be https in production")
        if not self.media_stream_url.startswith("wss://"):
            problems.append("MEDIA_STREAM_URL must be wss in production")
        return problems

    @property
    def hours(self) -> WeeklyHours:
        return WeeklyHours.parse(self.default_business_hours)

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.call_max_attempts,
            delay=timedelta(seconds=self.call_retry_delay_seconds),
        )

    @property
    def dial_limits(self) -> DialLimits:
        return DialLimits(
            rate=DialRate(calls_per_second=self.carrier_calls_per_second,
                          burst=self.carrier_dial_burst),
            tenant_max_live=self.tenant_max_concurrent_calls,
        )

    @property
    def carrier_checks(self) -> CarrierChecks:
        return CarrierChecks(
            placed_after=timedelta(seconds=self.carrier_check_placed_seconds),
            connected_after=timedelta(seconds=self.carrier_check_connected_seconds),
        )

    @property
    def carrier_api_base_url(self) -> str | None:
        # Real Twilio unless a base URL is given; the simulated provider always has one.
        if self.telephony_provider == "twilio":
            production = self.environment is Environment.PRODUCTION
            return None if production else self.twilio_api_base_url
        return self.twilio_api_base_url or "http://127.0.0.1:8100"
