"""The workloads of both overlays, proved without a cluster: they build, every object is
valid Kubernetes 1.33, and every Deployment and Job keeps the rules of issue 13 (probes,
resources, a PDB, the restricted security context, its own ServiceAccount, secrets only
from Secrets, pinned images, media-bridge's drain)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.deploy.kube import build, by_kind, containers, env_of, named, pod_spec, validate_core

OVERLAYS = ("dev", "prod")
SERVICES = {"request-service": 8000, "call-orchestrator": 8001, "media-bridge": 8002,
            "catalog-service": 8003, "analytics-service": 8004}
SECRET_WORDS = ("SECRET", "TOKEN", "KEY", "PASSWORD")
SECURITY = {"runAsNonRoot": True, "runAsUser": 10001, "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False}


def workloads(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return by_kind(objects, "Deployment") + by_kind(objects, "Job")


def matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    wanted = selector.get("matchLabels", {})
    return bool(wanted) and all(labels.get(k) == v for k, v in wanted.items())


def problems_of(objects: list[dict[str, Any]]) -> list[str]:
    """Every rule broken by a Deployment or Job, one line each."""
    found: list[str] = []
    accounts = {a["metadata"]["name"]: a for a in by_kind(objects, "ServiceAccount")}
    pdbs = by_kind(objects, "PodDisruptionBudget")
    config = {c["metadata"]["name"]: c.get("data", {}) for c in by_kind(objects, "ConfigMap")}
    for w in workloads(objects):
        where = f"{w['kind']}/{w['metadata']['name']}"
        spec = pod_spec(w)
        labels = w["spec"]["template"]["metadata"]["labels"]
        if w["kind"] == "Deployment" and not any(matches(p["spec"]["selector"], labels)
                                                 for p in pdbs):
            found.append(f"{where}: no PodDisruptionBudget selects its pods")
        account = accounts.get(spec.get("serviceAccountName", ""))
        if account is None:
            found.append(f"{where}: its ServiceAccount does not exist")
        elif account.get("automountServiceAccountToken") is not False:
            found.append(f"{where}: its ServiceAccount mounts an API token")
        if spec.get("automountServiceAccountToken") is not False:
            found.append(f"{where}: the pod mounts an API token")
        if spec.get("enableServiceLinks") is not False:
            found.append(f"{where}: Service links add variables the settings would read")
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        pod_security = spec.get("securityContext", {})
        if pod_security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            found.append(f"{where}: the pod's seccompProfile is not RuntimeDefault")
        for c in containers(w):
            at = f"{where} container {c['name']}"
            if w["kind"] == "Deployment" and c in spec["containers"]:
                for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                    if probe not in c:
                        found.append(f"{at}: no {probe}")
            for bound in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in c.get("resources", {}).get(bound, {}):
                        found.append(f"{at}: no {resource} {bound}")
            security = {**pod_security, **c.get("securityContext", {})}
            for key, value in SECURITY.items():
                if security.get(key) != value:
                    found.append(f"{at}: securityContext {key} is not {value}")
            if "ALL" not in security.get("capabilities", {}).get("drop", []):
                found.append(f"{at}: capabilities are not all dropped")
            tmp = [m for m in c.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
            if not tmp or "emptyDir" not in volumes.get(tmp[0]["name"], {}):
                found.append(f"{at}: no emptyDir on /tmp (the root filesystem is read-only)")
            image = c["image"]
            tag = image.rsplit("/", 1)[-1].partition(":")[2]
            if "@sha256:" not in image and (not tag or tag == "latest"):
                found.append(f"{at}: image {image} is not pinned")
            for name, entry in env_of(c).items():
                if any(w in name for w in SECRET_WORDS) and "secretKeyRef" not in entry.get(
                        "valueFrom", {}):
                    found.append(f"{at}: {name} is not from a Secret")
            for source in c.get("envFrom", []):
                data = config.get(source.get("configMapRef", {}).get("name", ""))
                if data is None:
                    found.append(f"{at}: envFrom names a ConfigMap that does not exist")
                    continue
                found += [f"{at}: {k} is in a ConfigMap, not a Secret" for k in data
                          if any(w in k for w in SECRET_WORDS)]
    return found


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_overlay_builds_and_every_object_is_valid_kubernetes(overlay: str) -> None:
    objects = build(overlay)
    assert {d["metadata"]["name"] for d in by_kind(objects, "Deployment")} >= set(SERVICES)
    assert validate_core(objects) == []
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"} == {
        "ringbook"}


def test_the_validation_rejects_an_unknown_field_and_a_wrong_type() -> None:
    deployment = copy.deepcopy(named(build("prod"), "Deployment", "catalog-service"))
    deployment["spec"]["replicaz"] = 2
    pod_spec(deployment)["containers"][0]["ports"][0]["containerPort"] = "http"
    problems = validate_core([deployment])
    assert len(problems) >= 1 and all("Deployment/catalog-service" in p for p in problems)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_and_job_keeps_the_workload_rules(overlay: str) -> None:
    assert problems_of(build(overlay)) == []


def test_the_rules_catch_a_missing_probe_a_root_user_and_a_secret_in_plain_text() -> None:
    objects = build("prod")
    deployment = named(objects, "Deployment", "media-bridge")
    main = pod_spec(deployment)["containers"][0]
    del main["readinessProbe"]
    main["securityContext"]["runAsUser"] = 0
    main["env"].append({"name": "OPENAI_API_KEY", "value": "sk-live"})
    main["image"] = "ghcr.io/ringbook/media-bridge:latest"
    objects.remove(named(objects, "PodDisruptionBudget", "media-bridge"))
    problems = problems_of(objects)
    assert problems == [
        "Deployment/media-bridge: no PodDisruptionBudget selects its pods",
        "Deployment/media-bridge container media-bridge: no readinessProbe",
        "Deployment/media-bridge container media-bridge: securityContext runAsUser is not 10001",
        "Deployment/media-bridge container media-bridge: image"
        " ghcr.io/ringbook/media-bridge:latest is not pinned",
        "Deployment/media-bridge container media-bridge: OPENAI_API_KEY is not from a Secret",
    ]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_serves_http_on_its_port_with_the_agreed_probes(overlay: str) -> None:
    objects = build(overlay)
    for service, port in SERVICES.items():
        deployment = named(objects, "Deployment", service)
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert labels == {"app.kubernetes.io/name": service,
                          "app.kubernetes.io/part-of": "ringbook",
                          "app.kubernetes.io/component": "service"}
        main = pod_spec(deployment)["containers"][0]
        assert main["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        assert main["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
        assert main["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
        assert main["startupProbe"]["httpGet"] == {"path": "/health", "port": "http"}
        svc = named(objects, "Service", service)
        assert [(p["name"], p["port"]) for p in svc["spec"]["ports"]] == [("http", port)]
        assert all(labels[k] == v for k, v in svc["spec"]["selector"].items())
        assert named(objects, "ConfigMap", f"{service}-config")["data"]["HTTP_PORT"] == str(port)
        db = env_of(main)["DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert db == {"name": "ringbook-db-app", "key": "uri"}


@pytest.mark.parametrize(("overlay", "replicas"), [("dev", 1), ("prod", 2)])
def test_replicas_and_pinned_images_per_overlay(overlay: str, replicas: int) -> None:
    objects = build(overlay)
    for service in SERVICES:
        deployment = named(objects, "Deployment", service)
        assert deployment["spec"]["replicas"] == replicas
        images = {c["image"] for c in containers(deployment)}
        images |= {c["image"] for c in containers(named(objects, "Job", f"{service}-migrate"))}
        assert images == {f"ghcr.io/ringbook/{service}:0.1.0"}
