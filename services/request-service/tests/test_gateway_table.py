"""The route table, its JSON form, the upstream settings and the circuit breaker: pure."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pydantic import ValidationError
from request_service.domain.circuit_breaker import CircuitBreaker
from request_service.gateway_routes import (
    ANALYTICS,
    CATALOG,
    GATEWAY,
    ROUTES,
    GatewayRoute,
    route_for,
    table_as_json,
    upstream_for,
    upstreams,
)
from request_service.settings import RequestServiceSettings


@pytest.mark.parametrize(("path", "service"), [
    ("/api/tools", CATALOG), ("/api/tools/", CATALOG), ("/api/tools/t-1", CATALOG),
    ("/api/assistants/{assistant_id}/tools", CATALOG), ("/api/assistants/", CATALOG),
    ("/api/files/f-1/content", CATALOG), ("/api/phone-numbers", CATALOG),
    ("/api/clients/c", CATALOG), ("/api/business-hours", CATALOG),
    ("/api/bookings/2026-02-02", CATALOG), ("/api/bookings/SPA-000001/cancel", CATALOG),
    ("/api/function-handler", CATALOG), ("/api/clients/c/slots", CATALOG),
    ("/api/phone-numbers/p/slots", CATALOG), ("/api/function-handlerX", None),
    ("/api/analytics/requests-per-day", ANALYTICS),
    ("/api/calls", ANALYTICS), ("/api/calls/c-1", ANALYTICS), ("/api/callsX", None),
    ("/api/api-keys", ANALYTICS), ("/api/api-keys/k-1", ANALYTICS),
    ("/import/leads", CATALOG), ("/import", None), ("/import/leadsX", None),
    ("/leads/needs-action", CATALOG), ("/ai", CATALOG), ("/aix", None),
    ("/api/leads", CATALOG), ("/api/leads/l-1", CATALOG),
    ("/api/toolsX", None), ("/api/tool", None), ("/api", None), ("/", None),
    ("/internal/business-hours/+4930", None), ("/webhook/incoming-call", None),
    ("/health", None), ("/API/tools", None), ("//api/tools", None),
    ("/api/auth/login", None), ("/token", None), ("/api/requests/r-1/stream", None),
])
def test_a_prefix_matches_whole_segments(path: str, service: object) -> None:
    assert upstream_for(path) == service


def test_the_gateways_own_prefixes_are_its_own() -> None:
    for path in ("/api/auth/login", "/token", "/api/process-request", "/api/requests",
                 "/docs", "/docs/oauth2-redirect", "/openapi.json"):
        route = route_for(path)
        assert route is not None and route.service == GATEWAY, path
    assert route_for("/tokens") is None


def test_the_longest_matching_prefix_wins() -> None:
    routes = (GatewayRoute("/api/calls", ANALYTICS), GatewayRoute("/api/calls/live", CATALOG))
    assert upstream_for("/api/calls/live/1", routes) == CATALOG
    assert upstream_for("/api/calls/1", routes) == ANALYTICS
    assert upstream_for("/api/calls/lively", routes) == ANALYTICS


def test_the_table_prints_as_json_for_the_deployment_tooling() -> None:
    run = subprocess.run([sys.executable, "-m", "request_service.gateway_routes"],
                         capture_output=True, text=True, check=True, timeout=30)
    printed = json.loads(run.stdout)
    assert printed == table_as_json()
    assert printed["gateway"] == "request-service"
    assert printed["services"]["catalog-service"] == {"port": 8003,
                                                      "url_setting": "CATALOG_SERVICE_URL"}
    assert printed["services"]["analytics-service"]["url_setting"] == "ANALYTICS_SERVICE_URL"
    assert {"prefix": "/api/business-hours", "service": "catalog-service"} in printed["routes"]
    assert len(printed["routes"]) == len(ROUTES)


def test_every_upstream_of_the_table_has_its_url_setting() -> None:
    settings = RequestServiceSettings(environment="development")
    for service in upstreams():
        assert settings.upstream_url(service).startswith("http://127.0.0.1:"), service


def test_upstream_urls_are_required_outside_development() -> None:
    secrets = {"jwt_secret": "j" * 40, "internal_token": "i" * 40}
    with pytest.raises(ValidationError) as refused:
        RequestServiceSettings(environment="test", **secrets)
    assert "CATALOG_SERVICE_URL" in str(refused.value)
    assert "ANALYTICS_SERVICE_URL" in str(refused.value)
    settings = RequestServiceSettings(
        environment="test", catalog_service_url="http://catalog:8003/",
        analytics_service_url="https://analytics.internal", **secrets)
    assert settings.upstream_url(CATALOG) == "http://catalog:8003"
    assert settings.upstream_url(ANALYTICS) == "https://analytics.internal"


@pytest.mark.parametrize("url", ["catalog:8003", "ftp://catalog", "http://", "http://c/?a=1"])
def test_an_upstream_url_must_be_http_with_a_host(url: str) -> None:
    with pytest.raises(ValidationError, match="catalog_service_url"):
        RequestServiceSettings(environment="development", catalog_service_url=url)


def test_a_circuit_opens_after_consecutive_failures_and_half_opens_after_its_period() -> None:
    circuit = CircuitBreaker(failure_threshold=3, open_seconds=10)
    assert not circuit.record_failure(100) and not circuit.record_failure(101)
    assert circuit.retry_after(101) is None
    assert circuit.record_failure(102)
    assert circuit.retry_after(103) == 9
    assert circuit.retry_after(112) is None  # half-open: requests may try
    assert circuit.record_failure(112)  # and one failure opens it again at once
    assert circuit.retry_after(113) == 9
    circuit.record_success()
    assert circuit.retry_after(113) is None
    assert not circuit.record_failure(114)  # a success reset the count


def test_a_success_between_failures_keeps_the_circuit_closed() -> None:
    circuit = CircuitBreaker(failure_threshold=2, open_seconds=1)
    for now in range(10):
        circuit.record_failure(now)
        circuit.record_success()
    assert circuit.retry_after(10) is None
