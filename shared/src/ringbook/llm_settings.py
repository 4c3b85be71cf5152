"""The text model's settings, for every service that asks the Responses API for
structured answers (analytics-service's post-call analysis, catalog-service's leads).

==============================  ======================================================
OPENAI_API_KEY                  *secret*: the LLM's key; the default "simulated" (any
                                key works with the simulator) only with
                                ENVIRONMENT=development
OPENAI_BASE_URL                 where the SDK connects; defaults to the SIMULATED LLM
                                (``python -m ringbook_simulators.responses --port
                                8101``); empty means the SDK's own (api.openai.com)
OPENAI_MODEL                    the model (``gpt-4o-mini``)
OPENAI_TIMEOUT_SECONDS          bound on one request to the model
==============================  ======================================================
"""

from __future__ import annotations

from pydantic import Field, SecretStr

from ringbook.settings import ServiceSettings

DEV_OPENAI_API_KEY = "simulated"
SIMULATED_LLM_URL = "http://127.0.0.1:8101/v1"


class LlmSettings(ServiceSettings):
    openai_api_key: SecretStr = SecretStr(DEV_OPENAI_API_KEY)
    openai_base_url: str = SIMULATED_LLM_URL
    openai_model: str = Field(default="gpt-4o-mini", min_length=1)
    openai_timeout_seconds: float = Field(default=60.0, gt=0, le=600)

    @property
    def openai_endpoint(self) -> str | None:
        """The SDK's ``base_url``: None (the SDK's own host) when the setting is empty."""
        return self.openai_base_url or None

    def development_values_in_use(self) -> list[str]:
        public = super().development_values_in_use()
        if self.openai_api_key.get_secret_value() in ("", DEV_OPENAI_API_KEY):
            public.append("OPENAI_API_KEY")
        return public
