"""One base URL: the frontend reaches analytics-service (and catalog-service) through
the gateway, with the whole system running as processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from ringbook_devtools.system import LocalSystem
from ringbook_devtools.testing.waiting import eventually

from tests.e2e.support import ANSWERS, User, register, running_system

pytestmark = pytest.mark.e2e

INTERNAL_TOKEN = "gateway-e2e-internal-token"


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[LocalSystem]:
    yield from running_system(request, DEFAULT_BUSINESS_HOURS="always",
                              INTERNAL_TOKEN=INTERNAL_TOKEN)


@pytest.fixture
async def user(system: LocalSystem) -> AsyncIterator[User]:
    async with httpx.AsyncClient(base_url=system.gateway, timeout=10) as client:
        yield await register(client)


async def test_requests_per_day_is_read_through_the_gateway(user: User) -> None:
    await user.submit(ANSWERS)
    data: list[dict[str, Any]] = []
    answer: httpx.Response | None = None

    async def counted() -> bool:
        nonlocal data, answer
        answer = await user.client.get("/api/analytics/requests-per-day?days=7",
                                       headers={**user.auth, "X-Correlation-Id": "e2e-gw-1"})
        assert answer.status_code == 200, answer.text
        data = answer.json()["data"]
        return bool(data) and data[0]["total"] >= 1

    await eventually(counted, 20, what=lambda: f"last answer: {data}", poll=0.2)
    assert data[0]["total"] == 1
    assert answer is not None
    assert answer.headers.get_list("x-correlation-id") == ["e2e-gw-1"]


async def test_the_upstream_checks_the_bearer_the_gateway_passed_on(user: User) -> None:
    missing = await user.client.get("/api/analytics/requests-per-day")
    forged = await user.client.get("/api/analytics/requests-per-day",
                                   headers={"Authorization": "Bearer not-a-token"})
    assert missing.status_code == forged.status_code == 401
    assert missing.json() == {"error": "Missing or malformed Authorization header"}
    assert forged.json() == {"error": "Invalid or expired token"}


async def test_internal_paths_are_not_reachable_through_the_gateway(
    system: LocalSystem, user: User,
) -> None:
    internal = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}
    hidden: list[str] = []
    for service in ("call-orchestrator", "catalog-service", "analytics-service"):
        async with httpx.AsyncClient(base_url=system.url(service), timeout=10) as direct:
            document = (await direct.get("/openapi.json")).json()
        hidden += [path for path in document["paths"]
                   if path.startswith(("/internal", "/webhook"))]
    assert hidden, "no internal or webhook path left to probe: the probe proves nothing"
    for path in hidden:
        through = await user.client.get(path.replace("{", "x").replace("}", ""),
                                        headers=internal)
        assert through.status_code == 404, path
        assert through.json() == {"error": "Not Found"}, path  # the gateway's own 404


async def test_the_gateways_openapi_lists_every_services_public_paths(
    system: LocalSystem, user: User,
) -> None:
    document = (await user.client.get("/openapi.json")).json()
    paths = document["paths"]
    assert paths["/api/analytics/requests-per-day"]["get"]["x-ringbook-service"] == (
        "analytics-service")
    assert "/api/auth/login" in paths and "/token" in paths
    assert not [p for p in paths if p.startswith(("/internal", "/webhook", "/media-stream"))]
    async with httpx.AsyncClient(base_url=system.url("catalog-service"), timeout=10) as direct:
        catalog = (await direct.get("/openapi.json")).json()
    for path in catalog["paths"]:
        if path.startswith("/api/"):
            assert path in paths, path


async def test_hostile_input_on_a_forwarded_path_is_refused_by_the_gateway(user: User) -> None:
    nul = await user.client.get("/api/analytics/requests-per-day?days=1%00", headers=user.auth)
    huge = await user.client.get("/api/analytics/requests-per-day",
                                 headers={**user.auth, "X-Padding": "a" * 32 * 1024})
    dots = await user.client.get("/api/analytics/%2e%2e/%2e%2e/internal/x", headers=user.auth)
    assert (nul.status_code, huge.status_code, dots.status_code) == (422, 431, 400)
    for answer in (nul, huge, dots):
        assert "error" in answer.json()


async def test_an_upstream_that_is_down_answers_502_json_then_recovers(
    system: LocalSystem, user: User,
) -> None:
    system.kill("analytics-service")
    try:
        down = await user.client.get("/api/analytics/requests-per-day", headers=user.auth)
        assert down.status_code == 502
        assert down.json()["error"] == "Upstream service unavailable"
        assert down.json()["details"]["service"] == "analytics-service"
    finally:
        system.restart("analytics-service")
    back = await user.client.get("/api/analytics/requests-per-day", headers=user.auth)
    assert back.status_code == 200, back.text
