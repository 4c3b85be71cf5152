"""The platform manifests (deploy/k8s/base/{edge,network,monitoring,database}, the NATS
chart's values), proved without a cluster: every object valid (Kubernetes 1.33 for
built-in kinds, the operators' vendored CRD schemas for theirs, unknown fields refused),
the Ingress routing exactly the public paths, the NetworkPolicies selecting what the
services need, the alerts naming only metrics that exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from call_orchestrator.entrypoints.app import create_app as orchestrator_app
from call_orchestrator.settings import OrchestratorSettings
from media_bridge.entrypoints.app import create_app as media_bridge_app
from media_bridge.entrypoints.media_stream import MEDIA_STREAM_PATH
from media_bridge.settings import MediaBridgeSettings
from request_service.gateway_routes import table_as_json

from tests.deploy.platform_manifests import (
    K8S,
    platform_build,
    platform_build_with,
    platform_code_metrics,
    platform_of_kind,
    platform_query_metrics,
    platform_validate,
    promql_metric_names,
)

PLATFORM_DIRS = ["base/edge", "base/edge/cluster-issuer", "base/network", "base/monitoring",
                 "base/database"]
PORTS = {"request-service": 8000, "call-orchestrator": 8001, "media-bridge": 8002,
         "catalog-service": 8003, "analytics-service": 8004}


@pytest.mark.parametrize("directory", PLATFORM_DIRS)
def test_every_platform_object_is_valid(directory: str) -> None:
    objects = platform_build(directory)
    assert objects
    assert platform_validate(objects) == []
    namespaced = [o for o in objects if o["kind"] != "ClusterIssuer"]
    assert {o["metadata"].get("namespace") for o in namespaced} <= {"ringbook"}


def test_a_misspelt_field_of_a_crd_object_is_refused() -> None:
    cluster = platform_of_kind(platform_build("base/database"), "Cluster")[0]
    cluster["spec"]["instancez"] = 3
    problems = platform_validate([cluster])
    assert len(problems) == 1 and "instancez" in problems[0]


def _paths(ingress: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            assert path["pathType"] == "Prefix"
            assert path["backend"]["service"]["port"] == {"name": "http"}
            out[path["path"]] = path["backend"]["service"]["name"]
    return out


def _public_webhooks() -> set[str]:
    orchestrator = orchestrator_app(OrchestratorSettings(environment="development"))
    bridge = media_bridge_app(MediaBridgeSettings(environment="development"))
    paths = set(orchestrator.openapi()["paths"]) | set(bridge.openapi()["paths"])
    return {p for p in paths if p.startswith("/webhook/")}


def test_the_ingress_routes_exactly_the_public_paths() -> None:
    objects = platform_build("base/edge")
    routed: dict[str, str] = {}
    for ingress in platform_of_kind(objects, "Ingress"):
        assert ingress["spec"]["ingressClassName"] == "nginx"
        assert ingress["spec"]["tls"][0]["secretName"] == "ringbook-tls"
        paths = _paths(ingress)
        assert not set(paths) & set(routed), "a path routed twice"
        routed |= paths
    expected = {r["prefix"]: "request-service" for r in table_as_json()["routes"]}
    webhooks = _public_webhooks()
    assert {"/webhook/incoming-call", "/webhook/call-status", "/webhook/outbound-call"} <= webhooks
    expected |= {path: "call-orchestrator" for path in webhooks}
    expected[MEDIA_STREAM_PATH] = "media-bridge"
    assert routed == expected
    internal = ("/internal", "/metrics", "/health", "/ready")
    assert not [p for p in routed if p.startswith(internal)]


def test_the_certificate_is_issued_by_the_example_cluster_issuer() -> None:
    certificate = platform_of_kind(platform_build("base/edge"), "Certificate")[0]
    issuer = platform_of_kind(platform_build("base/edge/cluster-issuer"), "ClusterIssuer")[0]
    assert certificate["spec"]["secretName"] == "ringbook-tls"
    assert certificate["spec"]["issuerRef"] == {
        "group": "cert-manager.io", "kind": "ClusterIssuer", "name": issuer["metadata"]["name"]}
    hosts = {h for i in platform_of_kind(platform_build("base/edge"), "Ingress")
             for t in i["spec"]["tls"] for h in t["hosts"]}
    assert hosts == set(certificate["spec"]["dnsNames"])


def _policies() -> dict[str, dict[str, Any]]:
    objects = platform_build("base/network")
    return {p["metadata"]["name"]: p["spec"] for p in platform_of_kind(objects, "NetworkPolicy")}


def _rules(spec: dict[str, Any]) -> list[tuple[dict[str, Any], set[int]]]:
    """(peer, ports) of every ingress rule."""
    return [(peer, {p["port"] for p in rule["ports"]})
            for rule in spec.get("ingress", []) for peer in rule["from"]]


def _namespace(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def _pods(**labels: str) -> dict[str, Any]:
    return {"podSelector": {"matchLabels": labels}}


OURS = {"app.kubernetes.io/part-of": "ringbook"}


def test_ingress_is_denied_unless_a_policy_allows_it() -> None:
    deny = _policies()["default-deny-ingress"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress"]}


def test_only_the_edge_services_accept_the_ingress_controller() -> None:
    policies = _policies()
    edge = {name: spec for name, spec in policies.items()
            if any(peer == _namespace("ingress-nginx") for peer, _ in _rules(spec))}
    assert set(edge) == {f"{s}-from-edge" for s in ("request-service", "call-orchestrator",
                                                   "media-bridge", "acme-solver")}
    solver = edge.pop("acme-solver-from-edge")
    assert solver["podSelector"] == {"matchLabels": {"acme.cert-manager.io/http01-solver": "true"}}
    assert _rules(solver) == [(_namespace("ingress-nginx"), {8089})]
    for spec in edge.values():
        service = spec["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
        assert _rules(spec) == [(_namespace("ingress-nginx"), {PORTS[service]})]


def test_services_accept_only_our_pods_and_prometheus() -> None:
    policies = _policies()
    services = policies["services-from-ringbook"]
    assert services["podSelector"]["matchLabels"] == {**OURS, "app.kubernetes.io/component": "service"}
    assert _rules(services) == [({"podSelector": {"matchLabels": OURS}}, set(PORTS.values()))]
    scrape = policies["services-from-prometheus"]
    assert _rules(scrape) == [(_namespace("monitoring"), set(PORTS.values()))]


def test_postgres_accepts_our_pods_its_peers_the_operator_and_prometheus() -> None:
    spec = _policies()["postgres"]
    assert spec["podSelector"] == {"matchLabels": {"cnpg.io/cluster": "ringbook-db"}}
    assert _rules(spec) == [
        (_pods(**OURS), {5432}),
        (_pods(**{"cnpg.io/cluster": "ringbook-db"}), {5432, 8000}),
        (_namespace("cnpg-system"), {5432, 8000}),
        (_namespace("monitoring"), {9187}),
    ]


def test_nats_accepts_our_pods_its_peers_nats_box_and_prometheus() -> None:
    spec = _policies()["nats"]
    servers = {"app.kubernetes.io/name": "nats", "app.kubernetes.io/component": "nats"}
    assert spec["podSelector"] == {"matchLabels": servers}
    assert _rules(spec) == [
        (_pods(**OURS), {4222, 8222}),
        (_pods(**servers), {6222}),
        (_pods(**{"app.kubernetes.io/name": "nats", "app.kubernetes.io/component": "nats-box"}),
         {4222}),
        (_namespace("monitoring"), {7777, 8222}),
    ]


def test_every_service_has_a_service_monitor_on_its_http_port() -> None:
    monitors = platform_of_kind(platform_build("base/monitoring"), "ServiceMonitor")
    by_service = {m["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]: m for m in monitors}
    assert set(by_service) == set(PORTS)
    for monitor in monitors:
        assert monitor["spec"]["selector"]["matchLabels"]["app.kubernetes.io/part-of"] == "ringbook"
        assert [(e["port"], e["path"]) for e in monitor["spec"]["endpoints"]] == [("http", "/metrics")]


def test_the_metric_name_parser_sees_every_selected_metric() -> None:
    expr = ('sum by (job) (rate(a_total{status=~"5..", x="y(z)"}[5m])) / on (job) b '
            "> 1e3 and max(nats_consumer_num_pending offset 5m) > 0")
    assert promql_metric_names(expr) == {"a_total", "b", "nats_consumer_num_pending"}


def test_every_alert_names_only_metrics_that_exist() -> None:
    known = platform_code_metrics() | platform_query_metrics()
    assert {"ringbook_http_requests_total", "ringbook_media_active_streams",
            "ringbook_http_request_seconds_bucket"} <= known
    rule = platform_of_kind(platform_build("base/monitoring"), "PrometheusRule")[0]
    alerts = {r["alert"]: r["expr"] for g in rule["spec"]["groups"] for r in g["rules"]}
    for needed in ("RingbookDeadLetters", "RingbookOutboxRelayLag", "RingbookConsumerLag",
                   "RingbookHigh5xxRate", "RingbookMediaBridgeAtCapacity"):
        assert needed in alerts
    for alert, expr in alerts.items():
        names = promql_metric_names(expr)
        assert names, alert
        assert names <= known, f"{alert} names {names - known}"


def test_the_adapter_serves_active_streams_as_a_pods_metric() -> None:
    values = yaml.safe_load((K8S / "base/monitoring/prometheus-adapter/values.yaml").read_text())
    [rule] = values["rules"]["custom"]
    assert rule["name"]["as"] == "ringbook_media_active_streams"
    assert promql_metric_names(rule["seriesQuery"]) <= platform_code_metrics()
    assert rule["resources"]["overrides"]["pod"] == {"resource": "pod"}


def test_the_database_cluster_is_replicated_synchronously_and_backed_up() -> None:
    objects = platform_build("base/database")
    [cluster] = platform_of_kind(objects, "Cluster")
    spec = cluster["spec"]
    assert cluster["metadata"]["name"] == "ringbook-db" and spec["instances"] == 3
    assert spec["postgresql"]["synchronous"]["number"] >= 1
    initdb = spec["bootstrap"]["initdb"]
    assert (initdb["database"], initdb["owner"], initdb.get("secret")) == ("ringbook", "ringbook", None)
    [grants] = initdb["postInitApplicationSQLRefs"]["configMapRefs"]
    configs = {c["metadata"]["name"]: c for c in platform_of_kind(objects, "ConfigMap")}
    assert grants["key"] in configs[grants["name"]]["data"]
    assert spec["backup"]["barmanObjectStore"]["destinationPath"].startswith("s3://")
    [backup] = platform_of_kind(objects, "ScheduledBackup")
    assert backup["spec"]["cluster"] == {"name": "ringbook-db"}
    queries = spec["monitoring"]["customQueriesConfigMap"][0]["name"]
    assert queries in configs


def test_nats_values_give_three_synced_jetstream_servers() -> None:
    values = yaml.safe_load((K8S / "nats/values.yaml").read_text())
    config = values["config"]
    assert config["cluster"] == {"enabled": True, "replicas": 3}
    jetstream = config["jetstream"]
    assert jetstream["enabled"] and jetstream["fileStore"]["pvc"]["enabled"]
    assert jetstream["merge"] == {"sync_interval": "always"}
    assert config["monitor"] == {"enabled": True, "port": 8222}
    assert values["service"]["ports"]["monitor"] == {"enabled": True}


def test_the_dev_component_runs_one_postgres_without_backups(tmp_path: Path) -> None:
    objects = platform_build_with(tmp_path, ["base/database"], ["overlays/dev/platform"])
    assert platform_validate(objects) == []
    [cluster] = platform_of_kind(objects, "Cluster")
    assert cluster["spec"]["instances"] == 1
    assert "synchronous" not in cluster["spec"]["postgresql"]
    assert "backup" not in cluster["spec"]
    assert platform_of_kind(objects, "ScheduledBackup") == []
    # What the alerts read stays.
    assert cluster["spec"]["monitoring"] == platform_of_kind(
        platform_build("base/database"), "Cluster")[0]["spec"]["monitoring"]


def test_nats_dev_values_keep_sync_always_on_one_server() -> None:
    dev = yaml.safe_load((K8S / "nats/values-dev.yaml").read_text())
    assert dev["config"]["cluster"] == {"enabled": False}
    # Helm merges values-dev.yaml over values.yaml: the fsync setting must not be overridden.
    assert "merge" not in dev["config"].get("jetstream", {})


# Keys under which the chart takes any mapping (a config merge, a Kubernetes object part).
FREE_FORM = {"merge", "resources", "topologySpreadConstraints"}


def _unknown_keys(ours: Any, chart: Any, path: str = "") -> list[str]:
    if not isinstance(ours, dict):
        return []
    unknown: list[str] = []
    for key, value in ours.items():
        where = f"{path}.{key}".lstrip(".")
        if not isinstance(chart, dict) or key not in chart:
            unknown.append(where)
        elif key not in FREE_FORM:
            unknown += _unknown_keys(value, chart[key], where)
    return unknown


@pytest.mark.parametrize("values", ["values.yaml", "values-dev.yaml"])
def test_nats_values_use_only_keys_the_chart_has(values: str) -> None:
    chart = yaml.safe_load((K8S / "nats/chart-defaults.yaml").read_text())
    ours = yaml.safe_load((K8S / "nats" / values).read_text())
    assert _unknown_keys(ours, chart) == []
    assert _unknown_keys({"config": {"jetstream": {"filestore": {}}}}, chart) == [
        "config.jetstream.filestore"]
