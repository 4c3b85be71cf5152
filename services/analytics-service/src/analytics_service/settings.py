"""analytics-service settings: the shared ones, this service's name and port, the
prices calls are costed at (``pricing_settings``: ``PRICE_*``), and the post-call
analysis (the LLM and the jobs' retry policy).

==============================  ======================================================
OPENAI_API_KEY                  *secret*: the LLM's key; the default "simulated" (any
                                key works with the simulator) only with
                                ENVIRONMENT=development
OPENAI_BASE_URL                 where the SDK connects; defaults to the SIMULATED LLM
                                (``python -m ringbook_simulators.responses --port
                                8101``); empty means the SDK's own (api.openai.com)
OPENAI_MODEL                    the analysis model (``gpt-4o-mini``)
OPENAI_TIMEOUT_SECONDS          bound on one analysis request
ANALYSIS_ENABLED                false: no job is analysed (they wait, recorded)
ANALYSIS_LANES                  jobs analysed at once by this replica
ANALYSIS_POLL_SECONDS           how often an idle lane looks for due jobs
ANALYSIS_RETRY_BASE_SECONDS     first retry delay; doubled after each failure
ANALYSIS_RETRY_MAX_SECONDS      cap of the retry delay
ANALYSIS_MAX_ATTEMPTS           failures after which a job is ``failed`` for good
==============================  ======================================================
"""

from __future__ import annotations

from pydantic import Field, SecretStr

from analytics_service.domain.call_analysis import RetryPolicy
from analytics_service.pricing_settings import PricingSettings

DEV_OPENAI_API_KEY = "simulated"


class AnalyticsSettings(PricingSettings):
    service_name: str = "analytics-service"
    http_port: int = 8004

    openai_api_key: SecretStr = SecretStr(DEV_OPENAI_API_KEY)
    openai_base_url: str = "http://127.0.0.1:8101/v1"
    openai_model: str = Field(default="gpt-4o-mini", min_length=1)
    openai_timeout_seconds: float = Field(default=60.0, gt=0, le=600)

    analysis_enabled: bool = True
    analysis_lanes: int = Field(default=2, ge=1, le=32)
    analysis_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    analysis_retry_base_seconds: float = Field(default=10.0, gt=0)
    analysis_retry_max_seconds: float = Field(default=1800.0, gt=0)
    analysis_max_attempts: int = Field(default=8, ge=1, le=100)

    def development_values_in_use(self) -> list[str]:
        public = super().development_values_in_use()
        if self.openai_api_key.get_secret_value() in ("", DEV_OPENAI_API_KEY):
            public.append("OPENAI_API_KEY")
        return public

    def analysis_retry_policy(self) -> RetryPolicy:
        return RetryPolicy(base_seconds=self.analysis_retry_base_seconds,
                           max_delay_seconds=self.analysis_retry_max_seconds,
                           max_attempts=self.analysis_max_attempts)
