"""Tool secrets sealed at rest: they open with any configured key, fail loudly when
tampered with, and the public development key is refused outside development."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError
from ringbook.secret_box import (
    DEV_SECRETS_ENCRYPTION_KEY,
    SecretBox,
    SecretBoxSettings,
    SecretUnreadable,
)


def test_a_sealed_secret_opens_and_is_not_the_plain_text() -> None:
    box = SecretBox([Fernet.generate_key().decode()])
    sealed = box.seal('{"Authorization": "Bearer sk-live-123"}')
    assert "sk-live-123" not in sealed
    assert box.open(sealed) == '{"Authorization": "Bearer sk-live-123"}'


def test_rotation_seals_with_the_first_key_and_opens_with_any() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed_before = SecretBox([old]).seal("token")
    rotated = SecretBox([new, old])
    assert rotated.open(sealed_before) == "token"
    assert SecretBox([new]).open(rotated.seal("token")) == "token"


def test_a_tampered_or_foreign_value_does_not_open() -> None:
    box = SecretBox([Fernet.generate_key().decode()])
    sealed = box.seal("token")
    with pytest.raises(SecretUnreadable):
        box.open(sealed[:-4] + "AAAA")
    with pytest.raises(SecretUnreadable):
        SecretBox([Fernet.generate_key().decode()]).open(sealed)


def test_the_development_key_is_refused_outside_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETS_ENCRYPTION_KEYS", raising=False)
    monkeypatch.setenv("ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="SECRETS_ENCRYPTION_KEYS"):
        SecretBoxSettings(service_name="x")
    monkeypatch.setenv("ENVIRONMENT", "development")
    assert SecretBoxSettings(service_name="x").secret_box().open(
        SecretBox([DEV_SECRETS_ENCRYPTION_KEY]).seal("ok")) == "ok"


def test_a_key_that_is_not_a_fernet_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "development")
    monkeypatch.setenv("SECRETS_ENCRYPTION_KEYS", "short")
    with pytest.raises(ValidationError, match="Fernet key"):
        SecretBoxSettings(service_name="x")
