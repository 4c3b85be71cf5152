"""Settings of the SIMULATED carrier (environment prefix ``SIMCARRIER_``).

The defaults are deliberately fake credentials: this process only simulates Twilio,
so nothing here ever authenticates against a real account.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SIMULATED_ACCOUNT_SID = "ACsimulated00000000000000000000000"


class CarrierSettings(BaseSettings):
    """Tunables of the simulated carrier; timings are short so tests stay fast."""

    model_config = SettingsConfigDict(env_prefix="SIMCARRIER_", extra="ignore")

    account_sid: str = SIMULATED_ACCOUNT_SID
    auth_token: str = "simulated-auth-token"
    ring_seconds: float = Field(default=1.0, ge=0.0)
    # An answering callee still rings briefly first, like a real phone would.
    answer_after_seconds: float = Field(default=0.2, ge=0.0)
    answered_hold_seconds: float = Field(default=20.0, ge=0.0)
    media_frame_ms: int = Field(default=20, gt=0)
    # The practice behind a scripted number (see ``practice``), and the caller of an
    # incoming call, say their lines on the Media Stream; False keeps them all silent.
    practice_speaks: bool = True
    # The agent's turn is over after this long without its audio (``media`` from the
    # application); the practice's next line starts then.
    practice_agent_quiet_ms: int = Field(default=700, gt=0)
    callback_attempts: int = Field(default=4, ge=1)
    callback_backoff_seconds: float = Field(default=0.25, ge=0.0)
    callback_timeout_seconds: float = Field(default=5.0, gt=0.0)
    websocket_open_timeout_seconds: float = Field(default=5.0, gt=0.0)
    # Incoming calls (``POST /simulate/incoming-call``): the voice URL and status
    # callback URL configured on every number of the simulated account, as on a Twilio
    # number's "A call comes in" / "Call status changes" settings. The defaults are
    # call-orchestrator's webhooks on its default port; LocalSystem sets the real ones.
    # An empty status URL posts no status callback.
    incoming_call_url: str = "http://127.0.0.1:8001/webhook/incoming-call"
    incoming_status_callback_url: str = "http://127.0.0.1:8001/webhook/call-status"
    # Twilio gives up on a voice webhook after 15 s.
    incoming_webhook_timeout_seconds: float = Field(default=15.0, gt=0.0)
    # The caller waits for the agent to hang up, but no longer than this.
    incoming_hold_seconds: float = Field(default=120.0, ge=0.0)
    host: str = "127.0.0.1"
    port: int = Field(default=8100, ge=0, le=65535)
