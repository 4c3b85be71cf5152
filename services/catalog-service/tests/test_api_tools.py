"""/api/tools through the HTTP app: seed 001's bodies, validation, unique names, the
endpoint guard, masked secrets and their round trip, rotation, and deletion."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from catalog_service.domain.tool_secrets import MASK
from catalog_service.entrypoints.app import Edges
from catalog_service.testing.api import CatalogApi
from catalog_service.testing.edges import FakeDns

TOKEN = "kalender-token-0123456789"
API_KEY = "key-0123456789-abcdefWXYZ"
SEED_TOOL: dict[str, Any] = {
    "name": "kalender_api",
    "description": "Legt Termine im Kalender an",
    "endpoint": "https://api.calendar.com/v1/events",
    "method": "POST",
    "category": "calendar",
    "parameters": {"type": "object", "properties": {"date": {"type": "string"},
                                                    "time": {"type": "string"}},
                   "required": ["date"]},
    "headers": {"X-Api-Key": API_KEY, "Accept": "text/plain"},
    "authentication": {"type": "bearer", "token": TOKEN},
}


@pytest.fixture
def dns() -> FakeDns:
    return FakeDns({"intranet.example.com": ["10.1.2.3"],
                    "rebinding.example.com": ["93.184.215.14", "127.0.0.1"]})


async def test_create_masks_secrets_and_shows_the_signing_secret_once(
        catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    response = await catalog.call("POST", "/api/tools/", tenant, json=SEED_TOOL)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["name"] == "kalender_api" and data["method"] == "POST"
    assert data["headers"] == {"X-Api-Key": MASK + "WXYZ", "Accept": MASK}
    assert data["authentication"] == {"type": "bearer", "token": MASK + "6789"}
    secret = data["signing_secret"]
    assert secret.startswith("whsec_") and len(secret) == 49
    assert (data["total_calls"], data["last_used"], data["avg_response_time"]) == (0, None, None)
    got = (await catalog.call("GET", f"/api/tools/{data['id']}", tenant)).json()["data"]
    assert got["signing_secret"] == MASK + secret[-4:]
    assert {**got, "signing_secret": secret, "updated_at": data["updated_at"]} == data
    assert (await catalog.call("GET", "/api/tools/", tenant)).json()["data"] == [got]
    assert await catalog.event_types(data["id"]) == ["tool_created"]


BAD_TOOLS: list[tuple[dict[str, Any], str]] = [
    ({"name": "Kalender API"}, "name"),
    ({"name": "x" * 65}, "name"),
    ({"name": "end_call"}, "name"),
    ({"name": "Search_Knowledge"}, "name"),
    ({"method": "TRACE"}, "method"),
    ({"parameters": {"type": "string"}}, "parameters"),
    ({"parameters": {"type": "object", "properties": []}}, "parameters"),
    ({"parameters": "date"}, "parameters"),
    ({"headers": {"Bad Header": "x"}}, "headers"),
    ({"headers": {"X-A": 1}}, "headers.X-A"),
    ({"headers": {"Host": "internal"}}, "headers"),
    ({"headers": {"Authorization": "Bearer x"}}, "headers"),
    ({"authentication": {"type": "oauth2"}}, "authentication"),
    ({"authentication": {"type": "basic", "username": "u"}}, "authentication.basic.password"),
    ({"authentication": {"type": "bearer", "token": MASK + "6789"}}, "authentication.token"),
    ({"headers": {"X-Api-Key": MASK + "WXYZ"}}, "headers.X-Api-Key"),
    ({"timeout_seconds": 0}, "timeout_seconds"),
    ({"endpoint": "ftp://api.calendar.com/x"}, "endpoint"),
    ({"endpoint": "https://user:pw@api.calendar.com/x"}, "endpoint"),
    ({"endpoint": "http://127.0.0.1:8003/internal"}, "endpoint"),
    ({"endpoint": "http://localhost/x"}, "endpoint"),
    ({"endpoint": "http://169.254.169.254/latest/meta-data"}, "endpoint"),
    ({"endpoint": "http://[::1]/x"}, "endpoint"),
    ({"endpoint": "https://intranet.example.com/x"}, "endpoint"),
    ({"endpoint": "https://rebinding.example.com/x"}, "endpoint"),
    ({"endpoint": "https://nowhere.invalid/x"}, "endpoint"),
    ({"total_calls": 5}, "total_calls"),
]


@pytest.mark.parametrize(("change", "field"), BAD_TOOLS)
async def test_every_bad_field_is_422_and_stores_nothing(
        catalog: CatalogApi, change: dict[str, Any], field: str) -> None:
    response = await catalog.call("POST", "/api/tools/", uuid.uuid4(),
                                  json={**SEED_TOOL, **change})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["success"] is False
    assert field in {d["field"] for d in body["details"]}, body
    assert await catalog.count("events") == 0 and await catalog.count("tools") == 0


async def test_names_are_unique_per_tenant_whatever_the_case(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    first = await catalog.created("/api/tools/", tenant, SEED_TOOL)
    again = await catalog.call("POST", "/api/tools/", tenant,
                               json={**SEED_TOOL, "name": "Kalender_API"})
    assert again.status_code == 409
    assert again.json() == {"success": False,
                            "error": "You already have a tool named 'Kalender_API'"}
    other = await catalog.created("/api/tools/", tenant, {**SEED_TOOL, "name": "crm"})
    rename = await catalog.call("PUT", f"/api/tools/{other['id']}", tenant,
                                json={"name": "KALENDER_api"})
    assert rename.status_code == 409
    assert await catalog.event_types(other["id"]) == ["tool_created"]
    await catalog.created("/api/tools/", uuid.uuid4(), SEED_TOOL)  # another tenant's namespace
    assert await catalog.event_types(first["id"]) == ["tool_created"]


async def test_private_addresses_are_allowed_for_local_demos_in_development(
        settings: Any, clock: Any, edges: Edges, fresh_streams: None) -> None:
    import httpx
    from catalog_service.entrypoints.app import create_app

    app = create_app(settings.model_copy(update={"tool_allow_private_addresses": True}),
                     clock, edges)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            api = CatalogApi(client, app)
            created = await api.created("/api/tools/", uuid.uuid4(), {
                **SEED_TOOL, "endpoint": "http://127.0.0.1:9000/demo"})
            assert created["endpoint"] == "http://127.0.0.1:9000/demo"


async def test_put_sent_back_masked_keeps_the_secrets(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    created = await catalog.created("/api/tools/", tenant, SEED_TOOL)
    url = f"/api/tools/{created['id']}"
    shown = (await catalog.call("GET", url, tenant)).json()["data"]
    round_trip = {k: shown[k] for k in ("name", "description", "endpoint", "method", "category",
                                        "parameters", "headers", "authentication",
                                        "timeout_seconds", "is_active")}
    response = await catalog.call("PUT", url, tenant, json={**round_trip,
                                                            "description": "Neu"})
    assert response.status_code == 200, response.text
    updated = response.json()["data"]
    assert updated["description"] == "Neu" and updated["headers"] == shown["headers"]
    assert updated["signing_secret"] == shown["signing_secret"]
    state = await catalog.pool.fetchrow("select headers_sealed, authentication_sealed from tools")
    box = catalog.app.state.catalog.tool_secrets
    tool = await _stored_tool(catalog, tenant, created["id"])
    opened = box.open(tool.state)
    assert opened.headers == SEED_TOOL["headers"]
    assert opened.authentication.token == TOKEN
    assert TOKEN not in state["authentication_sealed"]
    replaced = await catalog.call("PUT", url, tenant, json={
        "authentication": {"type": "api_key", "header": "X-Key", "value": "v" * 20}})
    assert replaced.json()["data"]["authentication"] == {"type": "api_key", "header": "X-Key",
                                                         "value": MASK + "vvvv"}
    cleared = await catalog.call("PUT", url, tenant, json={"headers": None})
    assert cleared.json()["data"]["headers"] is None


async def _stored_tool(catalog: CatalogApi, tenant: uuid.UUID, tool_id: str) -> Any:
    uow = catalog.app.state.catalog.uow
    async with uow.transaction() as tx:
        return await tx.tools.get(tenant, uuid.UUID(tool_id))


async def test_rotation_shows_the_new_secret_once(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    created = await catalog.created("/api/tools/", tenant, SEED_TOOL)
    url = f"/api/tools/{created['id']}/rotate-signing-secret"
    rotated = await catalog.call("POST", url, tenant)
    assert rotated.status_code == 200, rotated.text
    secret = rotated.json()["data"]["signing_secret"]
    assert secret.startswith("whsec_") and secret != created["signing_secret"]
    shown = (await catalog.call("GET", f"/api/tools/{created['id']}", tenant)).json()["data"]
    assert shown["signing_secret"] == MASK + secret[-4:]
    assert (await catalog.call("POST", url, uuid.uuid4())).status_code == 404


async def test_deleting_a_tool_unlinks_it_from_each_assistant(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    tool = await catalog.created("/api/tools/", tenant, SEED_TOOL)
    assistants = [await catalog.created("/api/assistants/", tenant,
                                        {"name": f"Bot {i}", "tool_ids": [tool["id"]]})
                  for i in range(2)]
    response = await catalog.call("DELETE", f"/api/tools/{tool['id']}", tenant)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["deleted"] is True
    assert sorted(data["unlinked_from_assistants"]) == sorted(a["id"] for a in assistants)
    for assistant in assistants:
        assert await catalog.event_types(assistant["id"]) == [
            "assistant_created", "assistant_tool_linked", "assistant_tool_unlinked"]
        got = (await catalog.call("GET", f"/api/assistants/{assistant['id']}", tenant)).json()
        assert got["data"]["tools"] == []
    assert (await catalog.event_types(tool["id"]))[-1] == "tool_deleted"
    assert await catalog.count("assistant_tools") == 0
    assert (await catalog.call("GET", f"/api/tools/{tool['id']}", tenant)).status_code == 404
