"""Tenant isolation, probed on every endpoint: tenant B gets 404 for tenant A's ids on
GET, PUT, DELETE and the link endpoints, B cannot link A's tools or files to its own
assistant, and nothing B does changes A's data."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from catalog_service.testing.api import CatalogApi


@pytest.fixture
async def a_resources(catalog: CatalogApi) -> dict[str, Any]:
    a = uuid.uuid4()
    tool = await catalog.created("/api/tools/", a, {"name": "kalender",
                                                    "endpoint": "https://api.calendar.com/v1"})
    upload = await catalog.call("POST", "/api/files/", a,
                                files={"file": ("info.txt", b"Text", "text/plain")})
    file = upload.json()["data"]
    assistant = await catalog.created("/api/assistants/", a, {
        "name": "A's bot", "tool_ids": [tool["id"]], "file_ids": [file["id"]]})
    number = await catalog.created("/api/phone-numbers/", a, {"phone_number": "+4930123456",
                                                              "assistant_id": assistant["id"]})
    client = (await catalog.created("/api/clients", a, {
        "name": "A's client", "phone_number": "+12125550100"}))["client"]
    await catalog.call("PUT", "/api/business-hours/+4930555000", a,
                       json={"weekly_hours": "always"})
    await catalog.call("PUT", f"/api/phone-numbers/{number['id']}/business-hours", a,
                       json={"weekly_hours": "always"})
    return {"tenant": a, "tool": tool["id"], "file": file["id"], "assistant": assistant["id"],
            "number": number["id"], "client": client["id"]}


def probes(r: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    asst, tool, file = r["assistant"], r["tool"], r["file"]
    return [
        ("GET", f"/api/assistants/{asst}", {}),
        ("PUT", f"/api/assistants/{asst}", {"json": {"name": "mine now"}}),
        ("DELETE", f"/api/assistants/{asst}", {}),
        ("GET", f"/api/assistants/{asst}/tools", {}),
        ("POST", f"/api/assistants/{asst}/tools", {"json": {"tool_ids": [tool]}}),
        ("DELETE", f"/api/assistants/{asst}/tools", {"params": {"tool_id": tool}}),
        ("GET", f"/api/assistants/{asst}/files", {}),
        ("POST", f"/api/assistants/{asst}/files", {"json": {"file_id": file}}),
        ("PUT", f"/api/assistants/{asst}/files",
         {"json": {"file_id": file, "settings": {"priority": 1}}}),
        ("DELETE", f"/api/assistants/{asst}/files", {"params": {"file_id": file}}),
        ("GET", f"/api/tools/{tool}", {}),
        ("PUT", f"/api/tools/{tool}", {"json": {"description": "mine"}}),
        ("POST", f"/api/tools/{tool}/rotate-signing-secret", {}),
        ("DELETE", f"/api/tools/{tool}", {}),
        ("GET", f"/api/files/{file}", {}),
        ("PUT", f"/api/files/{file}", {"json": {"filename": "mine.txt"}}),
        ("DELETE", f"/api/files/{file}", {}),
        ("GET", f"/api/phone-numbers/{r['number']}", {}),
        ("PUT", f"/api/phone-numbers/{r['number']}", {"json": {"friendly_name": "mine"}}),
        ("DELETE", f"/api/phone-numbers/{r['number']}", {}),
        ("GET", f"/api/phone-numbers/{r['number']}/business-hours", {}),
        ("PUT", f"/api/phone-numbers/{r['number']}/business-hours",
         {"json": {"weekly_hours": "sat 10:00-11:00"}}),
        ("DELETE", f"/api/phone-numbers/{r['number']}/business-hours", {}),
        ("GET", "/api/business-hours/+4930555000", {}),
        ("DELETE", "/api/business-hours/+4930555000", {}),
        ("GET", f"/api/clients/{r['client']}", {}),
        ("PUT", f"/api/clients/{r['client']}", {"json": {"name": "mine"}}),
        ("DELETE", f"/api/clients/{r['client']}", {}),
    ]


async def test_tenant_b_gets_404_for_every_id_of_tenant_a(
        catalog: CatalogApi, a_resources: dict[str, Any]) -> None:
    b = uuid.uuid4()
    before = await catalog.stored()
    for method, path, kwargs in probes(a_resources):
        response = await catalog.call(method, path, b, **kwargs)
        assert response.status_code == 404, (method, path, response.text)
        assert "not found" in response.json()["error"]
    assert await catalog.stored() == before
    for path in ("/api/assistants/", "/api/tools/", "/api/files/", "/api/phone-numbers/"):
        assert (await catalog.call("GET", path, b)).json() == {"success": True, "data": []}
    assert (await catalog.call("GET", "/api/clients", b)).json() == {"clients": []}


async def test_b_cannot_link_as_tools_or_files_to_its_own_assistant(
        catalog: CatalogApi, a_resources: dict[str, Any]) -> None:
    b = uuid.uuid4()
    mine = await catalog.created("/api/assistants/", b, {"name": "B's bot"})
    before = await catalog.stored()
    url = f"/api/assistants/{mine['id']}"
    for method, path, body in (
        ("POST", f"{url}/tools", {"tool_ids": [a_resources["tool"]]}),
        ("POST", f"{url}/tools", {"tool_id": a_resources["tool"]}),
        ("POST", f"{url}/files", {"file_ids": [a_resources["file"]]}),
        ("POST", f"{url}/files", {"file_id": a_resources["file"], "settings": {"enabled": True}}),
        ("PUT", url, {"tool_ids": [a_resources["tool"]]}),
        ("PUT", url, {"file_ids": [a_resources["file"]]}),
        ("POST", "/api/assistants/", {"name": "x", "tool_ids": [a_resources["tool"]]}),
    ):
        response = await catalog.call(method, path, b, json=body)
        assert response.status_code == 422, (path, body, response.text)
        assert a_resources["tool"] in response.text or a_resources["file"] in response.text
    number = await catalog.created("/api/phone-numbers/", b, {"phone_number": "+4930777777"})
    routed = await catalog.call("PUT", f"/api/phone-numbers/{number['id']}", b,
                                json={"assistant_id": a_resources["assistant"]})
    assert routed.status_code == 422
    assert (await catalog.stored())["events"] == before["events"] + 1


async def test_a_still_sees_everything_unchanged(
        catalog: CatalogApi, a_resources: dict[str, Any]) -> None:
    b = uuid.uuid4()
    for method, path, kwargs in probes(a_resources):
        await catalog.call(method, path, b, **kwargs)
    a = a_resources["tenant"]
    got = (await catalog.call("GET", f"/api/assistants/{a_resources['assistant']}", a)).json()
    assert got["data"]["name"] == "A's bot"
    assert [t["id"] for t in got["data"]["tools"]] == [a_resources["tool"]]
    assert [f["id"] for f in got["data"]["files"]] == [a_resources["file"]]
    hours = (await catalog.call("GET", "/api/business-hours/+4930555000", a)).json()
    assert hours["data"]["weekly_hours"] == "always"
