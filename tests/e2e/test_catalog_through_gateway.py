"""A frontend written against seed 001 (assistants, tools, files, numbers) and one written
against seed 002 (clients) work unchanged through the gateway's one base URL, with the
whole system running as processes; another tenant's ids answer 404 there too, and a
catalog that is down answers a quick JSON error instead of a hang."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from ringbook_devtools.system import LocalSystem
from ringbook_devtools.testing.waiting import eventually

from tests.e2e.support import running_system

pytestmark = pytest.mark.e2e

# A literal public address: accepted without DNS (no test may need the internet); no
# request is made to it here.
TOOL_ENDPOINT = "https://93.184.215.14/v1/events"
_numbers = itertools.count(1)


def berlin_number() -> str:
    return f"+49301{next(_numbers):07d}"


def new_york_number() -> str:
    return f"+121255501{next(_numbers):02d}"


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[LocalSystem]:
    yield from running_system(request, DEFAULT_BUSINESS_HOURS="always")


@pytest.fixture
async def client(system: LocalSystem) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=system.gateway, timeout=10) as gateway:
        yield gateway


async def login(client: httpx.AsyncClient) -> dict[str, str]:
    """Seed 001's login: register once, then POST /token; its bearer header."""
    email, password = f"praxis-{uuid.uuid4().hex[:10]}@example.com", "password123"
    registered = await client.post("/api/auth/register", json={
        "email": email, "password": password, "name": "Praxis"})
    assert registered.status_code == 201, registered.text
    session = await client.post("/token", json={"email": email, "password": password})
    assert session.status_code == 200, session.text
    return {"Authorization": f"Bearer {session.json()['token']}"}


async def ok(response: httpx.Response, status: int = 200) -> Any:
    """Seed 001's envelope: ``data`` of a ``{"success": true}`` answer."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True, body
    return body["data"]


async def seed_001_assistant(client: httpx.AsyncClient, auth: dict[str, str]
                             ) -> dict[str, Any]:
    tool = await ok(await client.post("/api/tools/", headers=auth, json={
        "name": "kalender_api", "endpoint": TOOL_ENDPOINT, "method": "POST",
        "authentication": {"type": "bearer", "token": "sk_live_0123456789abcdef"}}), 201)
    file = await ok(await client.post("/api/files/", headers=auth, files={
        "file": ("company_info.txt", "Wir haben montags bis freitags geöffnet.".encode(),
                 "text/plain")}, data={"description": "Über uns"}), 201)
    assistant = await ok(await client.post("/api/assistants/", headers=auth, json={
        "name": "Kundenservice Bot", "system_prompt": "Du bist freundlich.",
        "llm_provider": "OpenAI", "llm_model": "gpt-4o", "language": "de-DE",
        "tool_ids": [tool["id"]], "file_ids": [file["id"]]}), 201)
    return {"tool": tool, "file": file, "assistant": assistant}


async def wait_processed(client: httpx.AsyncClient, auth: dict[str, str], file_id: str
                         ) -> None:
    async def processed() -> bool:
        file = await ok(await client.get(f"/api/files/{file_id}", headers=auth))
        return bool(file["status"] == "processed")

    await eventually(processed, 30, what="the uploaded file to be processed", poll=0.3)


async def test_a_seed_001_frontend_works_through_the_gateway(
        client: httpx.AsyncClient) -> None:
    auth = await login(client)
    made = await seed_001_assistant(client, auth)
    tool, file, assistant = made["tool"], made["file"], made["assistant"]
    assert tool["authentication"] == {"type": "bearer", "token": "••••cdef"}
    assert tool["signing_secret"].startswith("whsec_")
    url = f"/api/assistants/{assistant['id']}"
    got = await ok(await client.get(url, headers=auth))
    assert got["tools"] == [{"id": tool["id"], "name": "kalender_api",
                             "endpoint": TOOL_ENDPOINT}]
    assert [(f["id"], f["filename"]) for f in got["files"]] == [
        (file["id"], "company_info.txt")]
    assert "llm_model" in {n["field"] for n in got["not_in_effect"]}
    await wait_processed(client, auth, file["id"])

    updated = await ok(await client.put(url, headers=auth, json={"name": "Empfang",
                                                                 "status": "deployed"}))
    assert (updated["name"], updated["status"], updated["system_prompt"]) == (
        "Empfang", "deployed", "Du bist freundlich.")
    crm = await ok(await client.post("/api/tools/", headers=auth, json={
        "name": "crm", "endpoint": TOOL_ENDPOINT}), 201)
    linked = await ok(await client.post(f"{url}/tools", headers=auth,
                                        json={"tool_id": crm["id"]}))
    assert {t["id"] for t in linked["tools"]} == {tool["id"], crm["id"]}
    unlinked = await ok(await client.delete(f"{url}/tools", headers=auth,
                                            params={"tool_id": tool["id"]}))
    assert [t["id"] for t in unlinked["tools"]] == [crm["id"]]
    configured = await ok(await client.put(f"{url}/files", headers=auth, json={
        "file_id": file["id"], "settings": {"priority": 2, "enabled": True}}))
    assert configured["files"][0]["settings"] == {"priority": 2, "enabled": True}
    assert [t["id"] for t in await ok(await client.get(f"{url}/tools", headers=auth))] == [
        crm["id"]]

    phone = berlin_number()
    number = await ok(await client.post("/api/phone-numbers/", headers=auth, json={
        "phone_number": phone, "friendly_name": "Praxis Berlin",
        "assistant_id": assistant["id"]}), 201)
    assert number["answered_by"] == {"kind": "assistant", "id": assistant["id"]}
    deleted = await ok(await client.delete(url, headers=auth))
    assert deleted == {"id": assistant["id"], "deleted": True,
                       "phone_numbers_now_answered_by": "default_receptionist",
                       "phone_numbers": [phone]}
    now = await ok(await client.get(f"/api/phone-numbers/{number['id']}", headers=auth))
    assert (now["assistant_id"], now["answered_by"]["kind"]) == (None, "default_receptionist")
    gone = await client.get(url, headers=auth)
    assert gone.status_code == 404
    assert gone.json() == {"success": False, "error": "Assistant not found"}


async def test_a_seed_002_frontend_works_through_the_gateway(
        client: httpx.AsyncClient) -> None:
    auth = await login(client)
    phone = new_york_number()
    created = await client.post("/api/clients", headers=auth, json={
        "name": "Dr. Mike's Dental", "phone_number": phone, "profession": "dentist",
        "voice_name": "af_sarah"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert list(body) == ["client"]
    one = body["client"]
    assert (one["name"], one["phone_number"], one["is_active"]) == (
        "Dr. Mike's Dental", phone, True)
    listed = await client.get("/api/clients", headers=auth)
    assert listed.json() == {"clients": [one]}
    got = await client.get(f"/api/clients/{one['id']}", headers=auth)
    assert got.json() == {"client": one}
    changed = await client.put(f"/api/clients/{one['id']}", headers=auth,
                               json={"profession": "orthodontist"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["client"]["profession"] == "orthodontist"
    deleted = await client.delete(f"/api/clients/{one['id']}", headers=auth)
    assert deleted.json() == {"message": "Client deleted"}
    missing = await client.get(f"/api/clients/{one['id']}", headers=auth)
    assert (missing.status_code, missing.json()) == (404, {"error": "Client not found"})


async def test_another_tenants_ids_answer_404_through_the_gateway(
        client: httpx.AsyncClient) -> None:
    a, b = await login(client), await login(client)
    made = await seed_001_assistant(client, a)
    number = await ok(await client.post("/api/phone-numbers/", headers=a, json={
        "phone_number": berlin_number(), "assistant_id": made["assistant"]["id"]}), 201)
    theirs = (await client.post("/api/clients", headers=a, json={
        "name": "A's client", "phone_number": new_york_number()})).json()["client"]
    await wait_processed(client, a, made["file"]["id"])  # so A's answers stay as they are
    # Each with a body valid for its PUT, so only the owner decides the answer.
    changes = {f"/api/assistants/{made['assistant']['id']}": {"description": "mine"},
               f"/api/tools/{made['tool']['id']}": {"description": "mine"},
               f"/api/files/{made['file']['id']}": {"description": "mine"},
               f"/api/phone-numbers/{number['id']}": {"friendly_name": "mine"}}
    paths = list(changes)
    before = [await ok(await client.get(p, headers=a)) for p in paths]
    for path, change in changes.items():
        for method in ("GET", "PUT", "DELETE"):
            kwargs: dict[str, Any] = {"json": change} if method == "PUT" else {}
            answer = await client.request(method, path, headers=b, **kwargs)
            assert answer.status_code == 404, (method, path, answer.text)
            assert answer.json()["success"] is False
    for method in ("GET", "PUT", "DELETE"):
        answer = await client.request(method, f"/api/clients/{theirs['id']}", headers=b,
                                      **({"json": {"name": "x"}} if method == "PUT" else {}))
        assert (answer.status_code, answer.json()) == (404, {"error": "Client not found"})
    mine = await ok(await client.post("/api/assistants/", headers=b, json={"name": "B"}), 201)
    stolen = await client.post(f"/api/assistants/{mine['id']}/tools", headers=b,
                               json={"tool_id": made["tool"]["id"]})
    assert stolen.status_code == 422, stolen.text
    for path in ("/api/tools/", "/api/files/", "/api/phone-numbers/"):
        assert await ok(await client.get(path, headers=b)) == []
    assert (await client.get("/api/clients", headers=b)).json() == {"clients": []}
    assert [await ok(await client.get(p, headers=a)) for p in paths] == before


async def test_the_gateways_docs_list_catalogs_and_analytics_public_paths_only(
        system: LocalSystem, client: httpx.AsyncClient) -> None:
    docs = await client.get("/docs")
    assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]
    merged = (await client.get("/openapi.json")).json()["paths"]
    for service in ("catalog-service", "analytics-service"):
        async with httpx.AsyncClient(base_url=system.url(service), timeout=10) as direct:
            own = (await direct.get("/openapi.json")).json()["paths"]
        public = [p for p in own if p.startswith("/api/")]
        assert public, service
        assert [p for p in public if p not in merged] == [], service
    assert [p for p in merged if p.startswith(("/internal", "/webhook", "/media-stream"))] == []
    assert merged["/api/assistants/"]["post"]["x-ringbook-service"] == "catalog-service"


async def test_a_catalog_that_is_down_answers_a_quick_json_error(
        system: LocalSystem, client: httpx.AsyncClient) -> None:
    # Last in the module: the catalog is restarted afterwards.
    auth = await login(client)
    system.kill("catalog-service")
    try:
        started = time.monotonic()
        down = await client.get("/api/assistants/", headers=auth)
        took = time.monotonic() - started
        assert down.status_code in (502, 503), down.text
        assert down.headers["content-type"].startswith("application/json")
        assert down.json()["details"]["service"] == "catalog-service"
        assert took < 3, f"the gateway took {took:.1f}s to say the catalog is down"
        clients = await client.get("/api/clients", headers=auth)
        assert clients.status_code in (502, 503) and "error" in clients.json()
    finally:
        system.restart("catalog-service")

    async def back() -> bool:
        return (await client.get("/api/assistants/", headers=auth)).status_code == 200

    await eventually(back, 30, what="the catalog to answer through the gateway again",
                     poll=0.3)
