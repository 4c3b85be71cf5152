"""media-bridge settings: the shared ones, plus the media path and the realtime model.

==================================  ==================================================
MEDIA_RECEIVE_TIMEOUT_SECONDS       a stream that sends nothing for this long is ended
                                    (Twilio sends a media frame every 20 ms, so silence
                                    means a dead peer or a half-open TCP connection)
OPENAI_API_KEY                      key for the realtime model; the default "simulated"
                                    (any key works with the simulator) only with
                                    ENVIRONMENT=development
OPENAI_BASE_URL                     where the SDK connects; defaults to the SIMULATED
                                    model (``python -m ringbook_simulators.realtime
                                    --port 8200``); empty means the SDK's own default
                                    (api.openai.com)
REALTIME_MODEL                      realtime model name (``gpt-realtime``)
REALTIME_VOICE                      the agent's voice
REALTIME_TRANSCRIPTION_MODEL        model transcribing the callee (input transcripts)
REALTIME_CONNECT_TIMEOUT_SECONDS    how long a call waits for the model handshake
RECEPTIONIST_INSTRUCTIONS           the assistant's instructions on inbound calls
ORCHESTRATOR_URL                    call-orchestrator, asked to hang up a call
HANGUP_TIMEOUT_SECONDS              bound on that request (a failure is only logged)
END_CALL_DRAIN_SECONDS              after ``end_call``, how long we let Twilio finish
                                    playing the goodbye before hanging up
MEDIA_STREAM_URL                    this service's public websocket URL, exactly as the
                                    TwiML's ``<Stream url>`` gives it to Twilio: Twilio
                                    signs the upgrade over it (wss in production)
TWILIO_AUTH_TOKEN                   the account's auth token, to check that signature
MEDIA_STREAM_TOKEN_SECRET           verifies the stream tokens call-orchestrator mints
                                    (the same value there; >= 32 bytes)
SECRETS_ENCRYPTION_KEYS             opens the tools' sealed headers, authentication
                                    and signing secrets (the same keys as
                                    catalog-service's: ``ringbook.secret_box``)
TOOL_TIMEOUT_MAX_SECONDS            cap on a tool's own ``timeout_seconds``
TOOL_MAX_RESPONSE_BYTES             a tool answer larger than this is an error
TOOL_ALLOW_PRIVATE_ADDRESSES        lets tools reach loopback and private addresses;
                                    refused unless ENVIRONMENT=development
CATALOG_LOOKUP_TIMEOUT_SECONDS      bound on reading who answers a number (local
                                    Postgres); late or failed: the default receptionist
KNOWLEDGE_SEARCH_TIMEOUT_SECONDS    bound on one ``search_knowledge``
DRAIN_TIMEOUT_SECONDS               after SIGTERM, how long live calls may go on before
                                    they are ended (default 3600; docs/media-bridge.md)
==================================  ==================================================

The development defaults of OPENAI_API_KEY, TWILIO_AUTH_TOKEN, MEDIA_STREAM_TOKEN_SECRET and
SECRETS_ENCRYPTION_KEYS are public, so they are refused unless ENVIRONMENT=development
(``ringbook.settings``).
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from ringbook.secret_box import SecretBoxSettings
from ringbook.settings import Environment
from ringbook.stream_tokens import StreamTokenSettings

DEV_OPENAI_API_KEY = "simulated"
# The simulated carrier's auth token (ringbook_simulators.carrier's default).
DEV_TWILIO_AUTH_TOKEN = "simulated-auth-token"

DEFAULT_RECEPTIONIST_INSTRUCTIONS = (
    "You are the friendly phone receptionist of a small business. Greet the caller, "
    "find out what they need, answer briefly and politely, and never invent facts you "
    "were not given. Speak the caller's language. When the conversation is over, say "
    "goodbye and call the end_call tool."
)


class MediaBridgeSettings(StreamTokenSettings, SecretBoxSettings):
    service_name: str = "media-bridge"
    http_port: int = 8002
    media_receive_timeout_seconds: float = Field(default=10.0, gt=0, le=300)

    openai_api_key: SecretStr = SecretStr(DEV_OPENAI_API_KEY)
    openai_base_url: str = "http://127.0.0.1:8200/v1"
    realtime_model: str = "gpt-realtime"
    realtime_voice: str = "marin"
    realtime_transcription_model: str = "gpt-4o-mini-transcribe"
    realtime_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    receptionist_instructions: str = DEFAULT_RECEPTIONIST_INSTRUCTIONS

    orchestrator_url: str = "http://127.0.0.1:8001"
    hangup_timeout_seconds: float = Field(default=2.0, gt=0, le=10)
    end_call_drain_seconds: float = Field(default=3.0, ge=0, le=30)

    media_stream_url: str = "ws://127.0.0.1:8002/media-stream"
    twilio_auth_token: SecretStr = SecretStr(DEV_TWILIO_AUTH_TOKEN)

    tool_timeout_max_seconds: float = Field(default=10.0, gt=0, le=60)
    tool_max_response_bytes: int = Field(default=64 * 1024, ge=1024, le=1024 * 1024)
    tool_allow_private_addresses: bool = False
    catalog_lookup_timeout_seconds: float = Field(default=1.0, gt=0, le=10)
    knowledge_search_timeout_seconds: float = Field(default=2.0, gt=0, le=10)
    # catalog-service, whose function handler answers the booking tools (seed 004).
    catalog_service_url: str = "http://127.0.0.1:8003"
    booking_function_timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    # SIGTERM's drain: how long live calls may go on before they are ended (a day at most).
    drain_timeout_seconds: float = Field(default=3600.0, gt=0, le=86400)

    @field_validator("media_stream_url")
    @classmethod
    def _stream_url_is_a_websocket(cls, value: str) -> str:
        if not value.startswith(("ws://", "wss://")):
            raise ValueError("MEDIA_STREAM_URL must be a ws:// or wss:// URL")
        return value

    @model_validator(mode="after")
    def _private_tool_addresses_only_in_development(self) -> Self:
        if self.tool_allow_private_addresses and self.environment is not Environment.DEVELOPMENT:
            raise ValueError(
                "TOOL_ALLOW_PRIVATE_ADDRESSES lets a tenant's tools reach this network's own "
                "services; it is allowed only with ENVIRONMENT=development")
        return self

    def development_values_in_use(self) -> list[str]:
        public = super().development_values_in_use()
        if self.openai_api_key.get_secret_value() in ("", DEV_OPENAI_API_KEY):
            public.append("OPENAI_API_KEY")
        if self.twilio_auth_token.get_secret_value() in ("", DEV_TWILIO_AUTH_TOKEN):
            public.append("TWILIO_AUTH_TOKEN")  # it checks the signature of every upgrade
        return public

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if not self.media_stream_url.startswith("wss://"):
            problems.append("MEDIA_STREAM_URL must be wss in production")
        return problems
