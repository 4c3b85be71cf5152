"""catalog-service against real Postgres and nats-server: platform endpoints and the
internal business-hours API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from catalog_service.entrypoints.app import create_app
from catalog_service.settings import CatalogSettings
from fastapi import FastAPI
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.plugin import settings_for

INTERNAL_TOKEN = "catalog-test-internal-token"
AUTH = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}
NUMBER = "+4930123456"


@pytest.fixture
async def app(infra: ServerSet, fresh_schema: str, fresh_streams: None) -> AsyncIterator[FastAPI]:
    settings = settings_for(
        infra,
        CatalogSettings,
        service="catalog-service",
        schema=fresh_schema,
        internal_token=INTERNAL_TOKEN,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c



def body(tenant: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    return {
        "tenant_id": str(tenant),
        "weekly_hours": "mon-fri 08:00-18:00",
        "timezone": "Europe/Berlin",
        **overrides,
    }


async def test_put_then_get_round_trip(client: httpx.AsyncClient) -> None:
    tenant = uuid.uuid4()
    url = f"/internal/business-hours/{NUMBER}"
    put = await client.put(url, json=body(tenant), headers=AUTH)
    assert put.status_code == 200, put.text
    expected = {"number": NUMBER, "weekly_hours": "mon-fri 08:00-18:00", "timezone": "Europe/Berlin"}
    assert put.json() == expected
    got = await client.get(url, headers=AUTH)
    assert got.status_code == 200
    assert got.json() == expected

    # A second PUT replaces the hours; the zone is optional.
    replaced = await client.put(
        url, json=body(tenant, weekly_hours="mon-sat 09:00-13:00", timezone=None), headers=AUTH
    )
    assert replaced.status_code == 200
    got = await client.get(url, headers=AUTH)
    assert got.json() == {"number": NUMBER, "weekly_hours": "mon-sat 09:00-13:00", "timezone": None}
    # Any spelling of the number finds the same row (URL-encoded "+" included).
    assert (await client.get("/internal/business-hours/%2B49%2030%20123456", headers=AUTH)).json()[
        "number"
    ] == NUMBER


async def test_unknown_number_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/internal/business-hours/+12125550100", headers=AUTH)
    assert response.status_code == 404
    assert response.json() == {"error": "No business hours for this number"}


async def test_another_tenants_number_is_not_overwritten(client: httpx.AsyncClient) -> None:
    url = f"/internal/business-hours/{NUMBER}"
    assert (await client.put(url, json=body(uuid.uuid4()), headers=AUTH)).status_code == 200
    other = await client.put(url, json=body(uuid.uuid4(), weekly_hours="always"), headers=AUTH)
    assert other.status_code == 409
    assert (await client.get(url, headers=AUTH)).json()["weekly_hours"] == "mon-fri 08:00-18:00"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": INTERNAL_TOKEN}],
)
async def test_internal_endpoints_need_the_internal_token(
    client: httpx.AsyncClient, app: FastAPI, headers: dict[str, str]
) -> None:
    url = f"/internal/business-hours/{NUMBER}"
    assert (await client.get(url, headers=headers)).status_code == 401
    put = await client.put(url, json=body(uuid.uuid4()), headers=headers)
    assert put.status_code == 401
    assert set(put.json()) == {"error"}
    rows = await app.state.runtime.pool.fetchval("select count(*) from business_hours_overrides")
    assert rows == 0


@pytest.mark.parametrize(
    ("number", "overrides", "field"),
    [
        ("030123456", {}, "number_e164"),
        ("+999123", {}, "number_e164"),
        ("not-a-number", {}, "number_e164"),
        (NUMBER, {"timezone": "Mars/Olympus"}, "timezone"),
        (NUMBER, {"timezone": "CEST"}, "timezone"),
        (NUMBER, {"weekly_hours": "   "}, "weekly_hours"),
        (NUMBER, {"weekly_hours": "x" * 501}, "weekly_hours"),
        (NUMBER, {"tenant_id": "nope"}, "tenant_id"),
        (NUMBER, {"unexpected": 1}, "unexpected"),
    ],
)
async def test_bad_input_is_422_and_stores_nothing(
    client: httpx.AsyncClient, app: FastAPI, number: str, overrides: dict[str, Any], field: str
) -> None:
    response = await client.put(
        f"/internal/business-hours/{number}", json=body(uuid.uuid4(), **overrides), headers=AUTH
    )
    assert response.status_code == 422, response.text
    assert response.json()["details"][0]["field"] == field
    rows = await app.state.runtime.pool.fetchval("select count(*) from business_hours_overrides")
    assert rows == 0


async def test_get_with_a_bad_number_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/internal/business-hours/12345", headers=AUTH)
    assert response.status_code == 422
    assert response.json()["error"] == "Invalid phone number"


async def test_health_ready_and_metrics(client: httpx.AsyncClient, app: FastAPI) -> None:
    health = await client.get("/health")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "service": "catalog-service"}

    await app.state.runtime.wait_bus_ready(10)
    ready = await client.get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "checks": {"postgres": "ok", "nats": "ok"}}

    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert "ringbook_http_requests_total" in metrics.text
    assert 'route="/ready"' in metrics.text

    # The service's own migration ran in its schema.
    applied = await app.state.runtime.pool.fetch("select name from schema_migrations")
    assert "service/0001_business_hours_overrides.sql" in {r["name"] for r in applied}
