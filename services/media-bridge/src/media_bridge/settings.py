"""media-bridge settings: the shared ones, plus the media path and the realtime model.

==================================  ==================================================
MEDIA_RECEIVE_TIMEOUT_SECONDS       a stream that sends nothing for this long is ended
                                    (Twilio sends a media frame every 20 ms, so silence
                                    means a dead peer or a half-open TCP connection)
OPENAI_API_KEY                      key for the realtime model; the development default
                                    "simulated" (any key works with the simulator) is
                                    refused when ENVIRONMENT=production
OPENAI_BASE_URL                     where the SDK connects; defaults to the SIMULATED
                                    model (``python -m ringbook.simulators.realtime
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
==================================  ==================================================

The development defaults of TWILIO_AUTH_TOKEN and MEDIA_STREAM_TOKEN_SECRET are public,
so they are refused unless ENVIRONMENT=development.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, model_validator
from ringbook.settings import Environment, ServiceSettings
from ringbook.stream_tokens import DEV_MEDIA_STREAM_TOKEN_SECRET, secret_problem

DEV_OPENAI_API_KEY = "simulated"
# The simulated carrier's auth token (ringbook.simulators.carrier's default).
DEV_TWILIO_AUTH_TOKEN = "simulated-auth-token"

DEFAULT_RECEPTIONIST_INSTRUCTIONS = (
    "You are the friendly phone receptionist of a small business. Greet the caller, "
    "find out what they need, answer briefly and politely, and never invent facts you "
    "were not given. Speak the caller's language. When the conversation is over, say "
    "goodbye and call the end_call tool."
)


class MediaBridgeSettings(ServiceSettings):
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
    media_stream_token_secret: SecretStr = SecretStr(DEV_MEDIA_STREAM_TOKEN_SECRET)

    @model_validator(mode="after")
    def _refuse_simulated_model_key_in_production(self) -> Self:
        if (
            self.environment is Environment.PRODUCTION
            and self.openai_api_key.get_secret_value() in ("", DEV_OPENAI_API_KEY)
        ):
            raise ValueError(
                "unsafe production settings: OPENAI_API_KEY still has its development default"
            )
        return self

    @model_validator(mode="after")
    def _refuse_public_stream_secrets_outside_development(self) -> Self:
        problems = []
        if (problem := secret_problem(self.media_stream_token_secret.get_secret_value(),
                                      self.environment)) is not None:
            problems.append(problem)
        if self.environment is not Environment.DEVELOPMENT:
            if self.twilio_auth_token.get_secret_value() in ("", DEV_TWILIO_AUTH_TOKEN):
                problems.append("TWILIO_AUTH_TOKEN still has its development default")
            if not self.media_stream_url.startswith(("ws://", "wss://")):
                problems.append("MEDIA_STREAM_URL must be a ws:// or wss:// URL")
        if self.environment is Environment.PRODUCTION and not self.media_stream_url.startswith(
            "wss://"
        ):
            problems.append("MEDIA_STREAM_URL must be wss in production")
        if problems:
            raise ValueError("unsafe settings: " + "; ".join(problems))
        return self
