"""The platform objects survive the overlays: an overlay's transformers (`commonLabels`
rewrites selectors, a patch may drop a path) must not change what a NetworkPolicy selects,
which paths the Ingresses route, what the monitors scrape or the alerts. A host or a
bucket may differ per overlay; these may not. Until the overlays exist (the workloads
part of issue 13), the overlay cases say so and skip; the commonLabels case runs always."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.platform_manifests import platform_build, platform_build_with

OVERLAYS = ["overlays/dev", "overlays/prod"]
PLATFORM_DIRS = ["base/edge", "base/network", "base/monitoring", "base/database"]


def _ingress_paths(spec: dict[str, Any]) -> Any:
    return sorted((p["path"], p["backend"]["service"]["name"])
                  for rule in spec["rules"] for p in rule["http"]["paths"])


# What each kind must keep, as a function of its spec.
KEPT: dict[str, Callable[[dict[str, Any]], Any]] = {
    "NetworkPolicy": lambda spec: spec,
    "Ingress": _ingress_paths,
    "ServiceMonitor": lambda spec: (spec["selector"], spec["endpoints"]),
    "PodMonitor": lambda spec: (spec["selector"], spec["podMetricsEndpoints"]),
    "PrometheusRule": lambda spec: spec["groups"],
}


def platform_changes(built: list[dict[str, Any]]) -> list[str]:
    """What ``built`` (an overlay's objects) changed of the platform base's."""
    base = [o for directory in PLATFORM_DIRS for o in platform_build(directory)]
    changes: list[str] = []
    for kind, kept in KEPT.items():
        ours = {o["metadata"]["name"]: kept(o["spec"]) for o in base if o["kind"] == kind}
        theirs = {o["metadata"]["name"]: kept(o["spec"]) for o in built if o["kind"] == kind}
        changes += [f"{kind}/{name}" for name in ours if theirs.get(name) != ours[name]]
    return changes


def test_common_labels_over_the_platform_would_be_caught(tmp_path: Path) -> None:
    unchanged = platform_build_with(tmp_path, PLATFORM_DIRS, [])
    assert platform_changes(unchanged) == []
    relabelled = platform_build_with(tmp_path, PLATFORM_DIRS, [],
                                     commonLabels={"app.kubernetes.io/part-of": "ringbook"})
    # kustomize adds the label to every podSelector: the CNPG and NATS pods, which do not
    # carry it, would fall out of their policies.
    assert {"NetworkPolicy/postgres", "NetworkPolicy/nats"} <= set(platform_changes(relabelled))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlays_keep_the_platform(overlay: str) -> None:
    assert platform_changes(platform_build(overlay)) == []
