"""analytics-service settings: the shared ones, this service's name and port, the
prices calls are costed at (``pricing_settings``: ``PRICE_*``), the text model
(``ringbook.llm_settings``: ``OPENAI_*``), and the post-call analysis jobs' retry policy.

==============================  ======================================================
ANALYSIS_ENABLED                false: no job is analysed (they wait, recorded)
ANALYSIS_LANES                  jobs analysed at once by this replica
ANALYSIS_POLL_SECONDS           how often an idle lane looks for due jobs
ANALYSIS_RETRY_BASE_SECONDS     first retry delay; doubled after each failure
ANALYSIS_RETRY_MAX_SECONDS      cap of the retry delay
ANALYSIS_MAX_ATTEMPTS           failures after which a job is ``failed`` for good
==============================  ======================================================
"""

from __future__ import annotations

from pydantic import Field
from ringbook.backoff import BackoffPolicy
from ringbook.llm_settings import LlmSettings

from analytics_service.pricing_settings import PricingSettings


class AnalyticsSettings(PricingSettings, LlmSettings):
    service_name: str = "analytics-service"
    http_port: int = 8004

    analysis_enabled: bool = True
    analysis_lanes: int = Field(default=2, ge=1, le=32)
    analysis_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    analysis_retry_base_seconds: float = Field(default=10.0, gt=0)
    analysis_retry_max_seconds: float = Field(default=1800.0, gt=0)
    analysis_max_attempts: int = Field(default=8, ge=1, le=100)

    def analysis_retry_policy(self) -> BackoffPolicy:
        return BackoffPolicy(base_seconds=self.analysis_retry_base_seconds,
                           max_delay_seconds=self.analysis_retry_max_seconds,
                           max_attempts=self.analysis_max_attempts)
