"""Settings of the SIMULATED carrier (environment prefix ``SIMCARRIER_``).

The defaults are deliberately fake credentials: this process only simulates Twilio,
so nothing here ever authenticates against a real account.
"""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from ringbook.phone import InvalidPhoneNumber, to_e164

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
    # More numbers the simulated account owns (comma separated, E.164 or with spaces),
    # besides its own line and the scripted 555-01xx numbers (see ``phone_numbers``).
    owned_numbers: str = ""
    # An incoming call's caller first listens this long for the business to speak (a
    # first message); if it does, the caller skips its hello (see ``practice``).
    caller_listens_ms: int = Field(default=3000, ge=0)
    # Twilio gives up on a voice webhook after 15 s.
    incoming_webhook_timeout_seconds: float = Field(default=15.0, gt=0.0)
    # The caller waits for the agent to hang up, but no longer than this.
    incoming_hold_seconds: float = Field(default=120.0, ge=0.0)
    host: str = "127.0.0.1"
    port: int = Field(default=8100, ge=0, le=65535)

    @field_validator("owned_numbers")
    @classmethod
    def _numbers_parse(cls, value: str) -> str:
        cls._parse_numbers(value)  # a ValueError naming the bad number stops start-up
        return value

    @property
    def extra_owned_numbers(self) -> list[str]:
        """``SIMCARRIER_OWNED_NUMBERS`` in E.164."""
        return self._parse_numbers(self.owned_numbers)

    @staticmethod
    def _parse_numbers(value: str) -> list[str]:
        numbers = []
        for raw in (part.strip() for part in value.split(",")):
            if not raw:
                continue
            try:
                numbers.append(to_e164(raw, field="SIMCARRIER_OWNED_NUMBERS"))
            except InvalidPhoneNumber as exc:
                raise ValueError(str(exc)) from exc
        return numbers
