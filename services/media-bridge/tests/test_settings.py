from __future__ import annotations

import pytest
from media_bridge.settings import MediaBridgeSettings
from pydantic import ValidationError

PRODUCTION = {"environment": "production", "jwt_secret": "x" * 40,
              "internal_token": "prod-token", "nats_monitor_url": "http://n:8222",
              "nats_stream_replicas": 3, "twilio_auth_token": "real-twilio-auth-token",
              "media_stream_token_secret": "s" * 40,
              "media_stream_url": "wss://media.example.com/media-stream",
              "secrets_encryption_keys": "Mv5mz4EnypUbAYlIXzcfMLiQuVgzNPpcWt0SyIQF7lI="}


def test_defaults_point_at_the_simulated_model() -> None:
    s = MediaBridgeSettings()
    assert s.openai_base_url == "http://127.0.0.1:8200/v1" and s.realtime_model == "gpt-realtime"
    assert s.orchestrator_url == "http://127.0.0.1:8001"


def test_the_simulated_key_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="OPENAI_API_KEY"):
        MediaBridgeSettings(**PRODUCTION)
    ok = MediaBridgeSettings(**PRODUCTION, openai_api_key="sk-real")
    assert ok.openai_api_key.get_secret_value() == "sk-real"


@pytest.mark.parametrize("environment", ["test", "production"])
@pytest.mark.parametrize(("field", "value", "problem"), [
    ("media_stream_token_secret", None, "set .*MEDIA_STREAM_TOKEN_SECRET"),
    ("media_stream_token_secret", "short", "MEDIA_STREAM_TOKEN_SECRET must be at least 32"),
    ("twilio_auth_token", None, "set .*TWILIO_AUTH_TOKEN"),
])
def test_public_stream_secrets_are_refused_outside_development(
    environment: str, field: str, value: str | None, problem: str
) -> None:
    values = {**PRODUCTION, "environment": environment, "openai_api_key": "sk-real"}
    if value is None:
        del values[field]  # the development default
    else:
        values[field] = value
    with pytest.raises(ValidationError, match=problem):
        MediaBridgeSettings(**values)


def test_the_stream_url_twilio_signs_must_be_wss_in_production() -> None:
    with pytest.raises(ValidationError, match="MEDIA_STREAM_URL must be wss"):
        MediaBridgeSettings(**{**PRODUCTION, "openai_api_key": "sk-real",
                               "media_stream_url": "ws://media.example.com/media-stream"})


def test_without_environment_the_simulated_model_key_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in MediaBridgeSettings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv("JWT_SECRET", "s" * 40)
    monkeypatch.setenv("INTERNAL_TOKEN", "a-real-internal-token")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "the-test-carriers-token")
    monkeypatch.setenv("MEDIA_STREAM_TOKEN_SECRET", "m" * 40)
    monkeypatch.setenv("SECRETS_ENCRYPTION_KEYS", PRODUCTION["secrets_encryption_keys"])
    with pytest.raises(ValidationError, match="OPENAI_API_KEY"):
        MediaBridgeSettings()
    monkeypatch.setenv("OPENAI_API_KEY", "any-key-the-test-model-accepts")
    assert MediaBridgeSettings().openai_api_key.get_secret_value().startswith("any-key")
