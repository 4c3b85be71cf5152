"""analytics-service's LLM settings: the public development key is refused outside
development, like every other secret, and the retry settings make the job's policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from analytics_service.settings import AnalyticsSettings
from pydantic import ValidationError
from ringbook.settings import Environment

REAL: dict[str, Any] = {"jwt_secret": "x" * 40, "internal_token": "a-real-internal-token"}


def test_the_simulated_key_is_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="OPENAI_API_KEY"):
        AnalyticsSettings(environment=Environment.TEST, openai_api_key="simulated", **REAL)
    settings = AnalyticsSettings(environment=Environment.TEST, openai_api_key="sk-real", **REAL)
    assert settings.openai_model == "gpt-4o-mini"
    assert AnalyticsSettings(environment=Environment.DEVELOPMENT).openai_base_url == (
        "http://127.0.0.1:8101/v1")


def test_the_retry_settings_make_the_policy() -> None:
    settings = AnalyticsSettings(environment=Environment.DEVELOPMENT,
                                 analysis_retry_base_seconds=2, analysis_retry_max_seconds=5,
                                 analysis_max_attempts=3)
    policy = settings.analysis_retry_policy()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert policy.after_failure(1, now) == now + timedelta(seconds=2)
    assert policy.after_failure(2, now) == now + timedelta(seconds=4)
    assert policy.after_failure(3, now) is None
    with pytest.raises(ValidationError):
        AnalyticsSettings(environment=Environment.DEVELOPMENT, analysis_lanes=0)
