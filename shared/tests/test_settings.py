"""Which secrets a service accepts in which environment, and how it refuses to start.

The environment is read for real (pydantic-settings reads ``os.environ``); each test
starts from an environment with none of the settings' variables in it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from ringbook.settings import ServiceSettings
from ringbook.web.serve import run_service

DEV_JWT_SECRET = "ringbook-development-jwt-secret-not-for-production"
REAL = {"JWT_SECRET": "s" * 40, "INTERNAL_TOKEN": "a-real-internal-token"}
PRODUCTION_INFRA = {"NATS_MONITOR_URL": "http://nats:8222", "NATS_STREAM_REPLICAS": "3"}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """An environment without any of the settings' variables (the suite itself runs with
    ENVIRONMENT=development)."""
    for name in ServiceSettings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    yield monkeypatch


def given(env: pytest.MonkeyPatch, **variables: str) -> None:
    for name, value in variables.items():
        env.setenv(name, value)


def test_without_environment_the_development_secrets_are_refused(
    env: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValidationError) as refused:
        ServiceSettings()
    message = str(refused.value)
    assert "ENVIRONMENT is not set" in message
    assert "JWT_SECRET" in message and "INTERNAL_TOKEN" in message


def test_development_secrets_only_with_development_set_explicitly(
    env: pytest.MonkeyPatch,
) -> None:
    given(env, ENVIRONMENT="development")
    settings = ServiceSettings()
    assert settings.jwt_secret.get_secret_value() == DEV_JWT_SECRET


def test_without_environment_production_rules_apply(env: pytest.MonkeyPatch) -> None:
    given(env, **REAL)
    with pytest.raises(ValidationError, match=r"(?s)NATS_MONITOR_URL.*NATS_STREAM_REPLICAS"):
        ServiceSettings()
    given(env, **PRODUCTION_INFRA)
    assert ServiceSettings().environment == "production"


def test_the_test_environment_needs_real_secrets_but_not_production_infrastructure(
    env: pytest.MonkeyPatch,
) -> None:
    given(env, ENVIRONMENT="test")
    with pytest.raises(ValidationError) as refused:
        ServiceSettings()
    message = str(refused.value)
    assert "ENVIRONMENT=test" in message
    assert "JWT_SECRET" in message and "INTERNAL_TOKEN" in message

    given(env, **REAL)
    settings = ServiceSettings()  # one replica, no monitoring URL: fine for a test system
    assert settings.nats_stream_replicas == 1 and settings.nats_monitor_url is None


def test_the_public_development_values_are_refused_even_when_set_explicitly(
    env: pytest.MonkeyPatch,
) -> None:
    given(env, ENVIRONMENT="test", **{**REAL, "JWT_SECRET": DEV_JWT_SECRET})
    with pytest.raises(ValidationError, match="JWT_SECRET") as refused:
        ServiceSettings()
    assert "INTERNAL_TOKEN" not in str(refused.value)


def test_a_short_jwt_secret_is_refused_outside_development(env: pytest.MonkeyPatch) -> None:
    given(env, ENVIRONMENT="test", **{**REAL, "JWT_SECRET": "short"})
    with pytest.raises(ValidationError, match="JWT_SECRET must be at least 32 bytes"):
        ServiceSettings()


def test_production_names_every_missing_variable_at_once(env: pytest.MonkeyPatch) -> None:
    given(env, ENVIRONMENT="production")
    with pytest.raises(ValidationError) as refused:
        ServiceSettings()
    message = str(refused.value)
    for variable in ("JWT_SECRET", "INTERNAL_TOKEN", "NATS_MONITOR_URL", "NATS_STREAM_REPLICAS"):
        assert variable in message


class NotServed(Exception):
    """Raised by the app factory: the entry point got past the settings."""


def test_a_service_refuses_to_start_with_a_message_naming_each_missing_variable(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def create_app(settings: ServiceSettings) -> FastAPI:
        raise NotServed

    with pytest.raises(SystemExit) as exited:
        run_service(ServiceSettings, create_app)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "refuses to start" in err
    assert "JWT_SECRET" in err and "INTERNAL_TOKEN" in err
    assert "Traceback" not in err
