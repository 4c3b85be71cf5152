"""call-orchestrator's own development-only values: the carrier token, the stream token
secret and the tenant of inbound calls are refused, like the shared secrets, unless ENVIRONMENT=development."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from call_orchestrator.settings import OrchestratorSettings
from pydantic import ValidationError
from ringbook.stream_tokens import DEV_MEDIA_STREAM_TOKEN_SECRET

SHARED = {"JWT_SECRET": "s" * 40, "INTERNAL_TOKEN": "a-real-internal-token",
          "MEDIA_STREAM_TOKEN_SECRET": "m" * 40}
TEST_SYSTEM = {**SHARED, "ENVIRONMENT": "test", "TWILIO_AUTH_TOKEN": "the-test-carriers-token",
               "INBOUND_TENANT_ID": "7d0c7a52-3c43-4c1e-9d0f-0d3c6e2b9a11"}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in OrchestratorSettings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    yield monkeypatch


def test_without_environment_the_carrier_token_and_dev_tenant_are_refused(
    env: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValidationError) as refused:
        OrchestratorSettings()
    message = str(refused.value)
    for variable in ("JWT_SECRET", "INTERNAL_TOKEN", "TWILIO_AUTH_TOKEN", "INBOUND_TENANT_ID",
                     "MEDIA_STREAM_TOKEN_SECRET"):
        assert variable in message


def test_a_test_system_may_use_the_simulated_carrier_with_its_own_token(
    env: pytest.MonkeyPatch,
) -> None:
    for name, value in {**SHARED, "ENVIRONMENT": "test"}.items():
        env.setenv(name, value)
    with pytest.raises(ValidationError, match=r"TWILIO_AUTH_TOKEN.*INBOUND_TENANT_ID"):
        OrchestratorSettings()
    env.setenv("TWILIO_AUTH_TOKEN", "the-test-carriers-token")
    env.setenv("INBOUND_TENANT_ID", "7d0c7a52-3c43-4c1e-9d0f-0d3c6e2b9a11")
    settings = OrchestratorSettings()
    assert settings.telephony_provider == "simulated"


def test_real_twilio_needs_its_account_sid_outside_development(
    env: pytest.MonkeyPatch,
) -> None:
    for name, value in {**SHARED, "ENVIRONMENT": "test", "TELEPHONY_PROVIDER": "twilio",
                        "TWILIO_AUTH_TOKEN": "real-token",
                        "INBOUND_TENANT_ID": "7d0c7a52-3c43-4c1e-9d0f-0d3c6e2b9a11"}.items():
        env.setenv(name, value)
    with pytest.raises(ValidationError, match="TWILIO_ACCOUNT_SID"):
        OrchestratorSettings()


def test_development_keeps_the_simulated_carrier_defaults(env: pytest.MonkeyPatch) -> None:
    env.setenv("ENVIRONMENT", "development")
    settings = OrchestratorSettings()
    assert settings.twilio_auth_token.get_secret_value() == "simulated-auth-token"


def test_the_development_stream_token_secret_is_only_for_development(
    env: pytest.MonkeyPatch,
) -> None:
    env.setenv("ENVIRONMENT", "development")
    dev = OrchestratorSettings()
    assert dev.media_stream_token_secret.get_secret_value() == DEV_MEDIA_STREAM_TOKEN_SECRET
    for name, value in TEST_SYSTEM.items():
        env.setenv(name, value)
    env.delenv("MEDIA_STREAM_TOKEN_SECRET")
    with pytest.raises(ValidationError, match="set MEDIA_STREAM_TOKEN_SECRET"):
        OrchestratorSettings()
    with pytest.raises(ValidationError, match="MEDIA_STREAM_TOKEN_SECRET must be at least 32"):
        OrchestratorSettings(media_stream_token_secret="short")
    ok = OrchestratorSettings(media_stream_token_secret="s" * 32)
    assert ok.media_stream_token_ttl_seconds == 120
