"""Rollouts and shutdowns: migrations before serving (a Job and each pod's initContainer),
media-bridge's drain within its grace period, and its autoscaler."""

from __future__ import annotations

import pytest
from ringbook_simulators.carrier.settings import CarrierSettings

from tests.deploy.kube import REPO, build, by_kind, env_of, named, pod_spec

SERVICES = ("request-service", "call-orchestrator", "media-bridge", "catalog-service",
            "analytics-service")


def migrate_command(service: str) -> list[str]:
    return ["python", "-m", "ringbook.store.migrate_cli",
            "--dir", f"/app/services/{service}/migrations"]


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_each_service_migrates_in_a_job_and_before_each_pod_serves(overlay: str) -> None:
    objects = build(overlay)
    for service in SERVICES:
        assert (REPO / "services" / service / "migrations").is_dir()
        job = named(objects, "Job", f"{service}-migrate")
        assert job["metadata"]["labels"]["app.kubernetes.io/component"] == "migration"
        [job_container] = pod_spec(job)["containers"]
        deployment = named(objects, "Deployment", service)
        [init] = pod_spec(deployment)["initContainers"]
        main = pod_spec(deployment)["containers"][0]
        for migrating in (job_container, init):
            assert migrating["command"] == migrate_command(service)
            assert migrating["image"] == main["image"]
            # The same database and schema as the service: its ConfigMap (DB_SCHEMA) and
            # the CloudNativePG app secret.
            assert migrating["envFrom"] == main["envFrom"]
            assert env_of(migrating)["DATABASE_URL"] == env_of(main)["DATABASE_URL"]
        assert pod_spec(job)["restartPolicy"] in ("OnFailure", "Never")
        # A finished Job is removed, so the next release's apply can create it anew (a
        # Job's pod template cannot be changed in place).
        assert job["spec"]["ttlSecondsAfterFinished"] > 0


def test_migration_pods_are_not_counted_by_the_service_selectors() -> None:
    objects = build("prod")
    for service in SERVICES:
        job_labels = named(objects, "Job", f"{service}-migrate")["spec"]["template"]["metadata"][
            "labels"]
        for selector in (named(objects, "Service", service)["spec"]["selector"],
                         named(objects, "PodDisruptionBudget", service)["spec"]["selector"][
                             "matchLabels"]):
            assert not all(job_labels.get(k) == v for k, v in selector.items())


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_media_bridge_may_drain_its_calls_before_it_is_killed(overlay: str) -> None:
    objects = build(overlay)
    spec = pod_spec(named(objects, "Deployment", "media-bridge"))
    drain = float(named(objects, "ConfigMap", "media-bridge-config")["data"][
        "DRAIN_TIMEOUT_SECONDS"])
    assert drain == 3600
    main = spec["containers"][0]
    # The preStop only waits for the endpoint removal; it is part of the grace period.
    pre_stop = main["lifecycle"]["preStop"]
    assert set(pre_stop) == {"sleep"}
    assert spec["terminationGracePeriodSeconds"] >= drain + pre_stop["sleep"]["seconds"]


def test_media_bridge_scales_on_its_live_streams_with_cpu_as_the_fallback() -> None:
    objects = build("prod")
    [hpa] = by_kind(objects, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": "media-bridge"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 20)
    metrics = {m["type"]: m for m in hpa["spec"]["metrics"]}
    assert metrics["Pods"]["pods"] == {
        "metric": {"name": "ringbook_media_active_streams"},
        "target": {"type": "AverageValue", "averageValue": "40"}}
    assert metrics["Resource"]["resource"] == {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}
    source = (REPO / "services/media-bridge/src/media_bridge/application/metrics.py").read_text()
    assert 'Gauge("ringbook_media_active_streams"' in source


def test_dev_runs_without_the_autoscaler_and_with_the_simulators() -> None:
    objects = build("dev")
    assert by_kind(objects, "HorizontalPodAutoscaler") == []
    simulators = {d["metadata"]["name"]: d for d in by_kind(objects, "Deployment")
                  if d["metadata"]["labels"]["app.kubernetes.io/component"] == "simulator"}
    assert set(simulators) == {"sim-carrier", "sim-llm", "sim-realtime"}
    for deployment in simulators.values():
        [c] = pod_spec(deployment)["containers"]
        assert c["image"] == "ghcr.io/ringbook/ringbook-simulators:0.1.0-dev"
        assert c["args"][:2] == ["-m", f"ringbook_simulators.{deployment_module(c)}"]
    assert {s["metadata"]["name"] for s in by_kind(objects, "Service")} >= set(simulators)
    # The carrier's variables are its settings' (prefix SIMCARRIER_), and it signs with the
    # Twilio token call-orchestrator checks.
    fields = set(CarrierSettings.model_fields)
    carrier = env_of(pod_spec(simulators["sim-carrier"])["containers"][0])
    assert {n.removeprefix("SIMCARRIER_").lower() for n in carrier} <= fields
    assert carrier["SIMCARRIER_AUTH_TOKEN"]["valueFrom"]["secretKeyRef"] == {
        "name": "ringbook-secrets", "key": "TWILIO_AUTH_TOKEN"}


def deployment_module(container: dict[str, list[str]]) -> str:
    return {"sim-carrier": "carrier", "sim-llm": "responses",
            "sim-realtime": "realtime"}[str(container["name"])]
