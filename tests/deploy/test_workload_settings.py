"""The manifests match the code: every variable a ConfigMap or a pod's env sets is a field
of that service's settings class, and the settings each overlay gives a service validate
(with fake secrets in place of the Secret's values), as the service would at start-up."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # no stubs in the lock
from cryptography.fernet import Fernet
from pydantic import ValidationError
from ringbook.settings import ServiceSettings

from tests.deploy.kube import (
    REPO,
    SETTINGS,
    build,
    by_kind,
    env_of,
    named,
    pod_spec,
    settings_class,
)

SECRET_KEYS = {"JWT_SECRET", "INTERNAL_TOKEN", "MEDIA_STREAM_TOKEN_SECRET",
               "SECRETS_ENCRYPTION_KEYS", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
               "OPENAI_API_KEY"}
# What an operator would put into ringbook-secrets and for prod's REPLACE_ME: the shapes
# the settings demand (lengths, a Fernet key, a UUID, E.164, https/wss hosts).
FAKE_SECRETS = {
    "JWT_SECRET": "x" * 48, "INTERNAL_TOKEN": "t" * 40, "MEDIA_STREAM_TOKEN_SECRET": "m" * 48,
    "SECRETS_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "a" * 32,
    "OPENAI_API_KEY": "sk-fake", "uri": "postgresql://app:pw@ringbook-db-rw.ringbook.svc:5432/app",
}
FAKE_PLACEHOLDERS = {"TWILIO_FROM_NUMBER": "+4930123456", "INBOUND_TENANT_ID": str(uuid.uuid4()),
                     "S3_BUCKET": "ringbook-files"}
PLACEHOLDERS = {  # (ConfigMap, key) of prod's REPLACE_ME: the README's list
    ("request-service-config", "CORS_ORIGINS"), ("call-orchestrator-config", "PUBLIC_BASE_URL"),
    ("call-orchestrator-config", "MEDIA_STREAM_URL"),
    ("call-orchestrator-config", "TWILIO_FROM_NUMBER"),
    ("call-orchestrator-config", "INBOUND_TENANT_ID"), ("media-bridge-config", "MEDIA_STREAM_URL"),
    ("catalog-service-config", "PUBLIC_WEBHOOK_BASE_URL"), ("catalog-service-config", "S3_BUCKET"),
}


def pod_environment(objects: list[dict[str, Any]], service: str) -> dict[str, str]:
    """The variables the service's container sees: its ConfigMap, then its env (the
    Secrets' keys replaced by fake values), as Kubernetes merges them."""
    main = pod_spec(named(objects, "Deployment", service))["containers"][0]
    found: dict[str, str] = {}
    for source in main.get("envFrom", []):
        found |= named(objects, "ConfigMap", source["configMapRef"]["name"])["data"]
    for name, entry in env_of(main).items():
        ref = entry.get("valueFrom", {}).get("secretKeyRef")
        found[name] = FAKE_SECRETS[ref["key"]] if ref else entry["value"]
    return found


def construct(service: str, env: dict[str, str],
              monkeypatch: pytest.MonkeyPatch) -> ServiceSettings:
    cls = settings_class(service)
    for field in cls.model_fields:  # nothing from the test run's own environment
        monkeypatch.delenv(field.upper(), raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return cls()


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_every_variable_the_manifests_set_is_a_setting_of_the_service(overlay: str) -> None:
    objects = build(overlay)
    for service in SETTINGS:
        fields = set(settings_class(service).model_fields)
        unknown = {k for k in pod_environment(objects, service) if k.lower() not in fields}
        assert unknown == set(), service


def test_prod_has_exactly_the_documented_placeholders() -> None:
    objects = build("prod")
    found = {(c["metadata"]["name"], k) for c in by_kind(objects, "ConfigMap")
             for k, v in c["data"].items() if "REPLACE_ME" in v}
    assert found == PLACEHOLDERS
    readme = (REPO / "deploy" / "k8s" / "README.md").read_text()
    assert all(f"`{key}`" in readme for _, key in PLACEHOLDERS)


def filled(env: dict[str, str]) -> dict[str, str]:
    return {k: FAKE_PLACEHOLDERS.get(k, v.replace("REPLACE_ME", "ringbook")) if "REPLACE_ME" in v
            else v for k, v in env.items()}


@pytest.mark.parametrize("service", list(SETTINGS))
def test_prod_settings_validate_once_the_placeholders_and_secrets_are_set(
    service: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = filled(pod_environment(build("prod"), service))
    settings = construct(service, env, monkeypatch)
    assert settings.environment == "production"
    assert settings.nats_stream_replicas == 3
    assert settings.nats_monitor_url == "http://nats.ringbook.svc:8222"


def test_prod_settings_refuse_the_placeholders_left_as_they_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = pod_environment(build("prod"), "call-orchestrator")
    with pytest.raises(ValidationError, match="inbound_tenant_id"):
        construct("call-orchestrator", env, monkeypatch)


def test_prod_settings_refuse_a_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    env = filled(pod_environment(build("prod"), "media-bridge"))
    env["OPENAI_API_KEY"] = "simulated"
    with pytest.raises(ValidationError, match="OPENAI_API_KEY"):
        construct("media-bridge", env, monkeypatch)


@pytest.mark.parametrize("service", list(SETTINGS))
def test_dev_settings_validate(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = construct(service, pod_environment(build("dev"), service), monkeypatch)
    assert settings.environment == "development"


def test_the_public_urls_agree_between_services() -> None:
    for overlay in ("dev", "prod"):
        objects = build(overlay)
        orchestrator = pod_environment(objects, "call-orchestrator")
        assert pod_environment(objects, "media-bridge")["MEDIA_STREAM_URL"] == orchestrator[
            "MEDIA_STREAM_URL"]
        assert pod_environment(objects, "catalog-service")["PUBLIC_WEBHOOK_BASE_URL"] == (
            orchestrator["PUBLIC_BASE_URL"])


def test_the_secret_example_holds_only_placeholders_for_every_key_the_pods_read() -> None:
    secret, backup = yaml.safe_load_all((REPO / "deploy/k8s/secrets.example.yaml").read_text())
    assert secret["metadata"]["name"] == "ringbook-secrets"
    assert set(secret["stringData"]) == SECRET_KEYS
    assert set(secret["stringData"].values()) == {"REPLACE_ME"}
    # Postgres's backup credentials, read by the CloudNativePG Cluster (not by a pod).
    assert backup["metadata"]["name"] == "ringbook-db-backup"
    assert set(backup["stringData"].values()) == {"REPLACE_ME"}
    for overlay in ("dev", "prod"):
        refs = {(e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
                for d in by_kind(build(overlay), "Deployment") + by_kind(build(overlay), "Job")
                for c in [*pod_spec(d).get("initContainers", []), *pod_spec(d)["containers"]]
                for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})}
        assert {k for n, k in refs if n == "ringbook-secrets"} <= SECRET_KEYS
        assert {n for n, _ in refs} == {"ringbook-secrets", "ringbook-db-app"}
        assert {k for n, k in refs if n == "ringbook-db-app"} == {"uri"}
