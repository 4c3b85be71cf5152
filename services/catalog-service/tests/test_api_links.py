"""/api/assistants/{id}/tools and /files: both body shapes, link settings, unlinking."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from catalog_service.testing.api import CatalogApi

TOOL = {"name": "kalender_api", "endpoint": "https://api.calendar.com/v1/events"}


async def file_id(catalog: CatalogApi, tenant: uuid.UUID, name: str = "info.txt") -> str:
    response = await catalog.call("POST", "/api/files/", tenant,
                                  files={"file": (name, b"Text", "text/plain")})
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


async def test_tool_links_in_both_shapes(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    assistant = await catalog.created("/api/assistants/", tenant, {"name": "Bot"})
    one = await catalog.created("/api/tools/", tenant, TOOL)
    two = await catalog.created("/api/tools/", tenant, {**TOOL, "name": "crm"})
    url = f"/api/assistants/{assistant['id']}/tools"
    linked = await catalog.call("POST", url, tenant, json={"tool_ids": [one["id"], two["id"]]})
    assert linked.status_code == 200, linked.text
    assert [t["id"] for t in linked.json()["data"]["tools"]] == [one["id"], two["id"]]
    again = await catalog.call("POST", url, tenant, json={"tool_id": one["id"]})
    assert again.status_code == 200  # linked already: nothing appended
    listed = (await catalog.call("GET", url, tenant)).json()
    assert listed == {"success": True, "data": [
        {"id": one["id"], "name": "kalender_api", "endpoint": TOOL["endpoint"]},
        {"id": two["id"], "name": "crm", "endpoint": TOOL["endpoint"]}]}
    removed = await catalog.call("DELETE", url, tenant, params={"tool_id": one["id"]})
    assert [t["id"] for t in removed.json()["data"]["tools"]] == [two["id"]]
    not_linked = await catalog.call("DELETE", url, tenant, params={"tool_id": one["id"]})
    assert not_linked.status_code == 404
    assert not_linked.json() == {"success": False, "error": "Tool link not found"}
    assert await catalog.event_types(assistant["id"]) == [
        "assistant_created", "assistant_tool_linked", "assistant_tool_linked",
        "assistant_tool_unlinked"]


async def test_file_links_with_settings(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    assistant = await catalog.created("/api/assistants/", tenant, {"name": "Bot"})
    first, second = await file_id(catalog, tenant), await file_id(catalog, tenant, "b.txt")
    url = f"/api/assistants/{assistant['id']}/files"
    linked = await catalog.call("POST", url, tenant, json={
        "file_id": first, "settings": {"priority": 1, "enabled": True}})
    assert linked.status_code == 200, linked.text
    assert linked.json()["data"]["files"][0]["settings"] == {"priority": 1, "enabled": True}
    both = await catalog.call("POST", url, tenant, json={"file_ids": [second]})
    assert [f["id"] for f in both.json()["data"]["files"]] == [first, second]
    configured = await catalog.call("PUT", url, tenant, json={
        "file_id": second, "settings": {"priority": 5, "enabled": False}})
    assert configured.json()["data"]["files"][1]["settings"] == {"priority": 5, "enabled": False}
    listed = (await catalog.call("GET", url, tenant)).json()["data"]
    assert [f["filename"] for f in listed] == ["info.txt", "b.txt"]
    removed = await catalog.call("DELETE", url, tenant, params={"file_id": first})
    assert [f["id"] for f in removed.json()["data"]["files"]] == [second]
    assert await catalog.event_types(assistant["id"]) == [
        "assistant_created", "assistant_file_linked", "assistant_file_linked",
        "assistant_file_link_configured", "assistant_file_unlinked"]
    unlinked = await catalog.call("PUT", url, tenant, json={"file_id": first,
                                                            "settings": {"priority": 1}})
    assert unlinked.status_code == 404


@pytest.mark.parametrize(("path", "body", "field"), [
    ("tools", {}, "body"),
    ("tools", {"tool_ids": []}, "tool_ids"),
    ("tools", {"tool_ids": ["x"]}, "tool_ids.0"),
    ("tools", {"tool_id": str(uuid.uuid4()), "tool_ids": [str(uuid.uuid4())]}, "body"),
    ("tools", {"tool_id": str(uuid.uuid4())}, "tool_id"),
    ("files", {"file_ids": [str(uuid.uuid4())]}, "file_ids"),
    ("files", {"file_id": str(uuid.uuid4()), "settings": {"colour": "red"}}, "settings.colour"),
    ("files", {"file_id": str(uuid.uuid4()), "settings": {"priority": -1}}, "settings.priority"),
    ("files", {"file_ids": [str(uuid.uuid4())], "settings": {"priority": 1}}, "body"),
])
async def test_bad_link_bodies_are_422_and_append_nothing(
        catalog: CatalogApi, path: str, body: dict[str, Any], field: str) -> None:
    tenant = uuid.uuid4()
    assistant = await catalog.created("/api/assistants/", tenant, {"name": "Bot"})
    response = await catalog.call("POST", f"/api/assistants/{assistant['id']}/{path}", tenant,
                                  json=body)
    assert response.status_code == 422, response.text
    assert field in {d["field"] for d in response.json()["details"]}
    assert await catalog.event_types(assistant["id"]) == ["assistant_created"]


async def test_delete_without_the_id_in_the_query_is_422(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    assistant = await catalog.created("/api/assistants/", tenant, {"name": "Bot"})
    for path, name in (("tools", "tool_id"), ("files", "file_id")):
        url = f"/api/assistants/{assistant['id']}/{path}"
        missing = await catalog.call("DELETE", url, tenant)
        assert missing.status_code == 422
        assert missing.json()["details"][0]["field"] == f"query.{name}"
        malformed = await catalog.call("DELETE", url, tenant, params={name: "7"})
        assert malformed.status_code == 422
