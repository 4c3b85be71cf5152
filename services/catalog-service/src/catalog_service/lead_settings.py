"""catalog-service's lead settings (seed 003): the text model (``ringbook.llm_settings``:
``OPENAI_*``), the import's limits and rules, and the analysis lanes.

================================  ====================================================
LEAD_IMPORT_MAX_BYTES             largest import body (10 MiB); larger answers 413
LEAD_IMPORT_MAX_ROWS              most rows of one import (20,000); more answers 422
LEAD_STALE_AFTER_DAYS             days without contact after which an open lead needs
                                  action (30)
LEAD_PHONE_REGION                 the country of phone numbers written without +
                                  (ISO 3166 code, "DE")
LEAD_DEFAULT_LANGUAGE             drafts' language when neither the lead nor the
                                  request says one ("de")
LEAD_ANALYSIS_ENABLED             false: leads are queued but not analysed
LEAD_ANALYSIS_LANES               leads analysed at once by this replica (4)
LEAD_ANALYSIS_POLL_SECONDS        how often an idle lane looks for due leads (1)
LEAD_ANALYSIS_LEASE_SECONDS       how long a lane holds a lead it asked the model about;
                                  longer than OPENAI_TIMEOUT_SECONDS (90)
LEAD_ANALYSIS_RETRY_BASE_SECONDS  first retry delay after a failed analysis, doubled
                                  after each failure (10)
LEAD_ANALYSIS_RETRY_MAX_SECONDS   cap of the retry delay (1800)
LEAD_ANALYSIS_MAX_ATTEMPTS        failures after which a lead's analysis is failed (8)
AI_RATE_LIMIT                     POST /ai per tenant ("60/minute"; "" turns it off):
                                  each call is a paid model request
================================  ====================================================
"""

from __future__ import annotations

from typing import Self

import phonenumbers
from pydantic import Field, field_validator, model_validator
from ringbook.backoff import BackoffPolicy
from ringbook.llm_settings import LlmSettings

from catalog_service.domain.leads import ActionRules


class LeadSettings(LlmSettings):
    lead_import_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    lead_import_max_rows: int = Field(default=20_000, ge=1, le=1_000_000)
    lead_stale_after_days: int = Field(default=30, ge=1, le=3650)
    lead_phone_region: str = "DE"
    lead_default_language: str = Field(default="de", pattern=r"^[a-z]{2}$")

    lead_analysis_enabled: bool = True
    lead_analysis_lanes: int = Field(default=4, ge=1, le=32)
    lead_analysis_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    lead_analysis_lease_seconds: float = Field(default=90.0, gt=0, le=3600)
    lead_analysis_retry_base_seconds: float = Field(default=10.0, gt=0)
    lead_analysis_retry_max_seconds: float = Field(default=1800.0, gt=0)
    lead_analysis_max_attempts: int = Field(default=8, ge=1, le=100)

    @field_validator("lead_phone_region")
    @classmethod
    def _a_region(cls, value: str) -> str:
        if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a region phonenumbers knows (e.g. DE, IT)")
        return value.upper()

    @model_validator(mode="after")
    def _lease_outlasts_the_model(self) -> Self:
        # A lease shorter than a request would hand the lead to a second lane while the
        # first still waits for its answer.
        if self.lead_analysis_lease_seconds <= self.openai_timeout_seconds:
            raise ValueError("LEAD_ANALYSIS_LEASE_SECONDS must be longer than "
                             "OPENAI_TIMEOUT_SECONDS")
        return self

    def action_rules(self) -> ActionRules:
        return ActionRules(stale_after_days=self.lead_stale_after_days)

    def lead_analysis_backoff(self) -> BackoffPolicy:
        return BackoffPolicy(base_seconds=self.lead_analysis_retry_base_seconds,
                             max_delay_seconds=self.lead_analysis_retry_max_seconds,
                             max_attempts=self.lead_analysis_max_attempts)
