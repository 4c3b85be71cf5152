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
==================================  ==================================================
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from ringbook.settings import ServiceSettings

DEV_OPENAI_API_KEY = "simulated"

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

    def development_values_in_use(self) -> list[str]:
        public = super().development_values_in_use()
        if self.openai_api_key.get_secret_value() in ("", DEV_OPENAI_API_KEY):
            public.append("OPENAI_API_KEY")
        return public
