"""catalog-service's settings: what only development may use."""

from __future__ import annotations

import pytest
from catalog_service.settings import CatalogSettings
from cryptography.fernet import Fernet
from pydantic import ValidationError

REAL = {"jwt_secret": "x" * 40, "internal_token": "real-internal-token",
        "secrets_encryption_keys": Fernet.generate_key().decode(),
        "openai_api_key": "sk-real-key-of-the-test"}


def test_development_runs_with_the_public_defaults() -> None:
    settings = CatalogSettings(environment="development", tool_allow_private_addresses=True)
    assert settings.telephony_provider == "simulated"
    assert settings.file_max_bytes == 20 * 1024 * 1024


def test_private_tool_addresses_are_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="TOOL_ALLOW_PRIVATE_ADDRESSES"):
        CatalogSettings(environment="test", tool_allow_private_addresses=True, **REAL)


def test_the_development_sealing_key_is_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="SECRETS_ENCRYPTION_KEYS"):
        CatalogSettings(environment="test", jwt_secret="x" * 40, internal_token="t")


def test_twilio_needs_real_credentials_outside_development() -> None:
    with pytest.raises(ValidationError, match="TWILIO_AUTH_TOKEN"):
        CatalogSettings(environment="test", telephony_provider="twilio", **REAL)
    CatalogSettings(environment="test", **REAL)  # simulated numbers need no Twilio account


def test_production_needs_twilio_and_https_webhooks() -> None:
    with pytest.raises(ValidationError) as refused:
        CatalogSettings(environment="production", nats_monitor_url="http://n:8222",
                        nats_stream_replicas=3, **REAL)
    text = str(refused.value)
    assert "TELEPHONY_PROVIDER must be twilio" in text
    assert "PUBLIC_WEBHOOK_BASE_URL must be https" in text
