"""catalog-service against real Postgres and nats-server: the platform endpoints, its
migrations, the CATALOG stream, and the envelope on every error."""

from __future__ import annotations

import uuid

import nats
from catalog_service.testing.api import CatalogApi
from fastapi import FastAPI
from ringbook_devtools.testing.infra import ServerSet


async def test_health_ready_and_metrics(catalog: CatalogApi) -> None:
    client = catalog.client
    health = await client.get("/health")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "service": "catalog-service"}
    ready = await client.get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "checks": {"postgres": "ok", "nats": "ok"}}
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert 'route="/ready"' in metrics.text


async def test_migrations_replace_the_internal_business_hours_table(catalog: CatalogApi) -> None:
    applied = {r["name"] for r in await catalog.pool.fetch("select name from schema_migrations")}
    assert {"service/0001_business_hours_overrides.sql", "service/0003_catalog.sql",
            "service/0004_drop_business_hours_overrides.sql"} <= applied
    old = await catalog.pool.fetchval("select to_regclass('business_hours_overrides')")
    assert old is None
    gone = await catalog.client.get("/internal/business-hours/+4930123456")
    assert gone.status_code == 404


async def test_the_runtime_declares_the_catalog_and_calls_streams(
        catalog: CatalogApi, infra: ServerSet) -> None:
    nc = await nats.connect(infra.nats_url)
    try:
        js = nc.jetstream()
        for name in ("CATALOG", "CALLS"):
            info = await js.stream_info(name)
            assert info.config.name == name
    finally:
        await nc.close()


async def test_every_api_call_needs_a_bearer_token(catalog: CatalogApi) -> None:
    for path in ("/api/assistants/", "/api/tools/", "/api/files/", "/api/phone-numbers/",
                 "/api/business-hours/+4930123456"):
        response = await catalog.client.get(path)
        assert response.status_code == 401, path
        assert response.json() == {"success": False,
                                   "error": "Missing or malformed Authorization header"}
    response = await catalog.client.get("/api/clients")
    assert response.status_code == 401
    assert response.json() == {"error": "Missing or malformed Authorization header"}


async def test_errors_the_platform_answers_before_any_route_are_enveloped(
        catalog: CatalogApi, app: FastAPI) -> None:
    tenant = uuid.uuid4()
    huge = await catalog.call("POST", "/api/assistants/", tenant,
                              content=b'{"name": "' + b"x" * 70_000 + b'"}',
                              headers={"Content-Type": "application/json"})
    assert huge.status_code == 413
    assert huge.json() == {"success": False, "error": "Request body too large"}
    nul = await catalog.call("POST", "/api/assistants/", tenant, json={"name": "a\u0000b"})
    assert nul.status_code == 422
    assert nul.json()["success"] is False and nul.json()["details"][0]["field"] == "name"
    broken = await catalog.call("POST", "/api/tools/", tenant, content=b"{not json",
                                headers={"Content-Type": "application/json"})
    assert broken.status_code == 400
    assert broken.json()["success"] is False
    assert await catalog.count("events") == 0


async def test_the_seed_paths_answer_with_and_without_the_trailing_slash(
        catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    for path in ("/api/assistants", "/api/assistants/", "/api/tools", "/api/phone-numbers",
                 "/api/files", "/api/clients", "/api/clients/"):
        response = await catalog.call("GET", path, tenant)
        assert response.status_code == 200, (path, response.text)
    assert isinstance((await catalog.call("GET", "/api/clients", tenant)).json()["clients"], list)


async def test_openapi_documents_the_api(catalog: CatalogApi) -> None:
    schema = (await catalog.client.get("/openapi.json")).json()
    paths = set(schema["paths"])
    assert {"/api/assistants/", "/api/assistants/{assistant_id}",
            "/api/assistants/{assistant_id}/tools", "/api/assistants/{assistant_id}/files",
            "/api/tools/", "/api/tools/{tool_id}/rotate-signing-secret", "/api/files/",
            "/api/phone-numbers/{number_id}/business-hours", "/api/business-hours/{number}",
            "/api/clients", "/api/clients/{client_id}"} <= paths
