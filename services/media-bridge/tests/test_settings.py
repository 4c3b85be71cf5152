from __future__ import annotations

import pytest
from media_bridge.settings import MediaBridgeSettings
from pydantic import ValidationError


def test_defaults_point_at_the_simulated_model() -> None:
    s = MediaBridgeSettings()
    assert s.openai_base_url == "http://127.0.0.1:8200/v1" and s.realtime_model == "gpt-realtime"
    assert s.orchestrator_url == "http://127.0.0.1:8001"


def test_the_simulated_key_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="OPENAI_API_KEY"):
        MediaBridgeSettings(environment="production", jwt_secret="x" * 40,
                            internal_token="prod-token", nats_monitor_url="http://n:8222",
                            nats_stream_replicas=3)
    ok = MediaBridgeSettings(environment="production", jwt_secret="x" * 40,
                             internal_token="prod-token", nats_monitor_url="http://n:8222",
                             nats_stream_replicas=3, openai_api_key="sk-real")
    assert ok.openai_api_key.get_secret_value() == "sk-real"


def test_without_environment_the_simulated_model_key_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in MediaBridgeSettings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv("JWT_SECRET", "s" * 40)
    monkeypatch.setenv("INTERNAL_TOKEN", "a-real-internal-token")
    with pytest.raises(ValidationError, match="OPENAI_API_KEY"):
        MediaBridgeSettings()
    monkeypatch.setenv("OPENAI_API_KEY", "any-key-the-test-model-accepts")
    assert MediaBridgeSettings().openai_api_key.get_secret_value().startswith("any-key")
