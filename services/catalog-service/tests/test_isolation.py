"""Tenant isolation, probed on every endpoint: tenant B gets 404 for tenant A's ids on
GET, PUT, DELETE and the link endpoints (the endpoints are read from the app's OpenAPI,
so a new one without a probe fails here), B cannot link A's tools or files to its own
assistant, lists show only the caller's rows, and nothing B does changes A's data."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from catalog_service.testing.api import CatalogApi
from catalog_service.testing.bookings import SCHEDULE, booking_args, function

# `{number}` of /api/business-hours is not an id but a phone number each tenant keys its
# own hours by: B's PUT there sets B's own hours (checked below), its GET/DELETE answer 404.
# `{booking_date}` of /api/bookings is a day: B lists its own bookings of it (none).
OWN_NAMESPACE = {("PUT", "/api/business-hours/{number}"),
                 ("GET", "/api/bookings/{booking_date}")}
SEED_002_PREFIX = "/api/clients"


@dataclass(frozen=True)
class TenantResources:
    tenant: uuid.UUID
    tool: str
    file: str
    assistant: str
    number: str
    client: str
    hours_number: str
    reference: str = "SPA-000001"
    lead: str = "00000000-0000-0000-0000-000000000000"

    @classmethod
    def unused(cls, tenant: uuid.UUID) -> TenantResources:
        """Ids nobody has: enough to name every probe's endpoint."""
        ids = [str(uuid.uuid4()) for _ in range(5)]
        return cls(tenant, *ids, hours_number="+4930555999", lead=str(uuid.uuid4()))


@dataclass(frozen=True)
class Probe:
    method: str
    path: str
    kwargs: dict[str, Any] = field(default_factory=dict)


async def create_resources(catalog: CatalogApi, tenant: uuid.UUID, *, phone: str,
                           client_phone: str, hours_number: str) -> TenantResources:
    """One resource of every kind, linked: a tool and a file on an assistant that answers a
    number, a client, hours for a called number and for the owned number."""
    tool = await catalog.created("/api/tools/", tenant, {
        "name": "kalender", "endpoint": "https://api.calendar.com/v1",
        "headers": {"X-Api-Key": "key_0123456789abcdef"}})
    upload = await catalog.call("POST", "/api/files/", tenant,
                                files={"file": ("info.txt", b"Text", "text/plain")})
    assert upload.status_code == 201, upload.text
    file = upload.json()["data"]
    assistant = await catalog.created("/api/assistants/", tenant, {
        "name": "A's bot", "tool_ids": [tool["id"]], "file_ids": [file["id"]]})
    number = await catalog.created("/api/phone-numbers/", tenant, {
        "phone_number": phone, "assistant_id": assistant["id"]})
    client = (await catalog.created("/api/clients", tenant, {
        "name": "A's client", "phone_number": client_phone}))["client"]
    for path in (f"/api/business-hours/{hours_number}",
                 f"/api/phone-numbers/{number['id']}/business-hours"):
        hours = await catalog.call("PUT", path, tenant, json={"weekly_hours": "always"})
        assert hours.status_code == 200, hours.text
    for path in (f"/api/clients/{client['id']}/slots",
                 f"/api/phone-numbers/{number['id']}/slots"):
        slots = await catalog.call("PUT", path, tenant, json=SCHEDULE)
        assert slots.status_code == 200, slots.text
    booked = await function(catalog, "book_spa_slot", booking_args(), client_phone)
    assert booked.json()["success"] is True, booked.text
    imported = await catalog.call("POST", "/import/leads", tenant,
                                  content=b"Name;E-Mail\nLea Kramer;lea@example.com\n",
                                  headers={"Content-Type": "text/csv"})
    assert imported.status_code == 200, imported.text
    lead = (await catalog.call("GET", "/api/leads", tenant)).json()["leads"][0]["id"]
    return TenantResources(tenant, tool["id"], file["id"], assistant["id"], number["id"],
                           client["id"], hours_number, booked.json()["reference"], lead)


def probes(r: TenantResources) -> list[Probe]:
    """Every request naming one of ``r``'s ids (in the path, a query or a body)."""
    asst, tool, file, number = r.assistant, r.tool, r.file, r.number
    return [
        Probe("GET", f"/api/assistants/{asst}"),
        Probe("PUT", f"/api/assistants/{asst}", {"json": {"name": "mine now"}}),
        Probe("DELETE", f"/api/assistants/{asst}"),
        Probe("GET", f"/api/assistants/{asst}/tools"),
        Probe("POST", f"/api/assistants/{asst}/tools", {"json": {"tool_ids": [tool]}}),
        Probe("DELETE", f"/api/assistants/{asst}/tools", {"params": {"tool_id": tool}}),
        Probe("GET", f"/api/assistants/{asst}/files"),
        Probe("POST", f"/api/assistants/{asst}/files", {"json": {"file_id": file}}),
        Probe("PUT", f"/api/assistants/{asst}/files",
              {"json": {"file_id": file, "settings": {"priority": 1}}}),
        Probe("DELETE", f"/api/assistants/{asst}/files", {"params": {"file_id": file}}),
        Probe("GET", f"/api/tools/{tool}"),
        Probe("PUT", f"/api/tools/{tool}", {"json": {"description": "mine"}}),
        Probe("POST", f"/api/tools/{tool}/rotate-signing-secret"),
        Probe("DELETE", f"/api/tools/{tool}"),
        Probe("GET", f"/api/files/{file}"),
        Probe("PUT", f"/api/files/{file}", {"json": {"filename": "mine.txt"}}),
        Probe("DELETE", f"/api/files/{file}"),
        Probe("GET", f"/api/phone-numbers/{number}"),
        Probe("PUT", f"/api/phone-numbers/{number}", {"json": {"friendly_name": "mine"}}),
        Probe("DELETE", f"/api/phone-numbers/{number}"),
        Probe("GET", f"/api/phone-numbers/{number}/business-hours"),
        Probe("PUT", f"/api/phone-numbers/{number}/business-hours",
              {"json": {"weekly_hours": "sat 10:00-11:00"}}),
        Probe("DELETE", f"/api/phone-numbers/{number}/business-hours"),
        Probe("GET", f"/api/business-hours/{r.hours_number}"),
        Probe("DELETE", f"/api/business-hours/{r.hours_number}"),
        Probe("GET", f"/api/clients/{r.client}"),
        Probe("PUT", f"/api/clients/{r.client}", {"json": {"name": "mine"}}),
        Probe("DELETE", f"/api/clients/{r.client}"),
        Probe("GET", f"/api/clients/{r.client}/slots"),
        Probe("PUT", f"/api/clients/{r.client}/slots", {"json": SCHEDULE}),
        Probe("DELETE", f"/api/clients/{r.client}/slots"),
        Probe("GET", f"/api/phone-numbers/{number}/slots"),
        Probe("PUT", f"/api/phone-numbers/{number}/slots", {"json": SCHEDULE}),
        Probe("DELETE", f"/api/phone-numbers/{number}/slots"),
        Probe("POST", f"/api/bookings/{r.reference}/cancel"),
        Probe("GET", f"/api/leads/{r.lead}"),
        Probe("PATCH", f"/api/leads/{r.lead}", {"json": {"notes": "mine"}}),
        Probe("DELETE", f"/api/leads/{r.lead}"),
    ]


async def snapshot(catalog: CatalogApi, r: TenantResources) -> dict[str, Any]:
    """Everything ``r``'s tenant reads of its own resources, answer by answer."""
    asst, number = f"/api/assistants/{r.assistant}", f"/api/phone-numbers/{r.number}"
    paths = ["/api/assistants/", "/api/tools/", "/api/files/", "/api/phone-numbers/",
             "/api/clients", asst, f"{asst}/tools", f"{asst}/files", f"/api/tools/{r.tool}",
             f"/api/files/{r.file}", number, f"{number}/business-hours",
             f"/api/clients/{r.client}", f"/api/business-hours/{r.hours_number}",
             f"/api/clients/{r.client}/slots", f"{number}/slots", "/api/bookings/2026-02-02",
             f"/api/leads/{r.lead}", "/api/leads", "/leads/needs-action"]
    seen: dict[str, Any] = {}
    for path in paths:
        response = await catalog.call("GET", path, r.tenant)
        assert response.status_code == 200, (path, response.text)
        seen[path] = response.json()
    return seen


@pytest.fixture
async def a_resources(catalog: CatalogApi) -> TenantResources:
    return await create_resources(catalog, uuid.uuid4(), phone="+4930123456",
                                  client_phone="+12125550100", hours_number="+4930555000")


def _template_of(path: str, templates: list[str]) -> str:
    for template in templates:
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", template)
        if re.fullmatch(pattern, path):
            return template
    raise AssertionError(f"{path} matches no path of the OpenAPI document")


def test_every_endpoint_with_a_path_parameter_has_a_probe(catalog: CatalogApi) -> None:
    paths: dict[str, dict[str, Any]] = catalog.app.openapi()["paths"]
    templates = sorted(paths, key=len, reverse=True)
    wanted = {(method.upper(), path) for path, operations in paths.items() if "{" in path
              for method in operations} - OWN_NAMESPACE
    fake = TenantResources.unused(uuid.uuid4())
    probed = {(p.method, _template_of(p.path, templates)) for p in probes(fake)}
    assert wanted, "the OpenAPI document lists no endpoint with an id"
    assert wanted - probed == set(), "endpoints without an isolation probe"
    assert probed - wanted == set(), "probes of endpoints the OpenAPI does not list"


async def test_tenant_b_gets_404_in_the_endpoints_envelope_for_every_id_of_tenant_a(
        catalog: CatalogApi, a_resources: TenantResources) -> None:
    b = uuid.uuid4()
    before = await catalog.stored()
    seen_before = await snapshot(catalog, a_resources)
    for probe in probes(a_resources):
        response = await catalog.call(probe.method, probe.path, b, **probe.kwargs)
        assert response.status_code == 404, (probe, response.text)
        body = response.json()
        assert "not found" in body["error"], (probe, body)
        if probe.path.startswith((SEED_002_PREFIX, "/api/bookings", "/api/leads")):
            assert body == {"error": body["error"]}, (probe, body)
        else:
            assert body["success"] is False, (probe, body)
    assert await catalog.stored() == before
    assert await snapshot(catalog, a_resources) == seen_before


async def test_b_setting_hours_for_as_number_sets_bs_own(
        catalog: CatalogApi, a_resources: TenantResources) -> None:
    b, a = uuid.uuid4(), a_resources.tenant
    path = f"/api/business-hours/{a_resources.hours_number}"
    seen_before = await snapshot(catalog, a_resources)
    mine = await catalog.call("PUT", path, b, json={"weekly_hours": "sat 10:00-11:00"})
    assert mine.status_code == 200, mine.text
    assert (await catalog.call("GET", path, b)).json()["data"]["weekly_hours"] == (
        "sat 10:00-11:00")
    assert (await catalog.call("GET", path, a)).json()["data"]["weekly_hours"] == "always"
    assert await snapshot(catalog, a_resources) == seen_before


async def test_lists_show_only_the_callers_rows(
        catalog: CatalogApi, a_resources: TenantResources) -> None:
    b_resources = await create_resources(catalog, uuid.uuid4(), phone="+4930654321",
                                         client_phone="+12125550101",
                                         hours_number="+4930555001")
    for mine in (a_resources, b_resources):
        for path, key, want in (("/api/assistants/", "data", mine.assistant),
                                ("/api/tools/", "data", mine.tool),
                                ("/api/files/", "data", mine.file),
                                ("/api/phone-numbers/", "data", mine.number),
                                ("/api/clients", "clients", mine.client)):
            rows = (await catalog.call("GET", path, mine.tenant)).json()[key]
            assert [r["id"] for r in rows] == [want], (path, rows)
            assert {r.get("owner_id", str(mine.tenant)) for r in rows} == {str(mine.tenant)}
        links = f"/api/assistants/{mine.assistant}"
        tools = (await catalog.call("GET", f"{links}/tools", mine.tenant)).json()["data"]
        files = (await catalog.call("GET", f"{links}/files", mine.tenant)).json()["data"]
        assert ([t["id"] for t in tools], [f["id"] for f in files]) == ([mine.tool], [mine.file])
        listed = (await catalog.call("GET", "/api/bookings/2026-02-02", mine.tenant)).json()
        assert [b["booking_reference"] for b in listed] == [mine.reference]


async def test_b_cannot_link_as_tools_or_files_to_its_own_assistant(
        catalog: CatalogApi, a_resources: TenantResources) -> None:
    b = uuid.uuid4()
    mine = await catalog.created("/api/assistants/", b, {"name": "B's bot"})
    before = await catalog.stored()
    url = f"/api/assistants/{mine['id']}"
    tool, file = a_resources.tool, a_resources.file
    for method, path, body in (
        ("POST", f"{url}/tools", {"tool_ids": [tool]}),
        ("POST", f"{url}/tools", {"tool_id": tool}),
        ("POST", f"{url}/files", {"file_ids": [file]}),
        ("POST", f"{url}/files", {"file_id": file, "settings": {"enabled": True}}),
        ("PUT", url, {"tool_ids": [tool]}),
        ("PUT", url, {"file_ids": [file]}),
        ("POST", "/api/assistants/", {"name": "x", "tool_ids": [tool]}),
        ("POST", "/api/assistants/", {"name": "x", "file_ids": [file]}),
    ):
        response = await catalog.call(method, path, b, json=body)
        assert response.status_code == 422, (path, body, response.text)
        assert response.json()["success"] is False
        assert tool in response.text or file in response.text
    # Links B's assistant does not have (A's ids) are not found.
    for method, path, kwargs in (
        ("PUT", f"{url}/files", {"json": {"file_id": file, "settings": {"priority": 1}}}),
        ("DELETE", f"{url}/files", {"params": {"file_id": file}}),
        ("DELETE", f"{url}/tools", {"params": {"tool_id": tool}}),
    ):
        response = await catalog.call(method, path, b, **kwargs)
        assert response.status_code == 404, (method, path, response.text)
    claimed = await catalog.call("POST", "/api/phone-numbers/", b, json={
        "phone_number": "+4930777778", "assistant_id": a_resources.assistant})
    assert claimed.status_code == 422, claimed.text
    assert await catalog.stored() == before
    number = await catalog.created("/api/phone-numbers/", b, {"phone_number": "+4930777777"})
    routed = await catalog.call("PUT", f"/api/phone-numbers/{number['id']}", b,
                                json={"assistant_id": a_resources.assistant})
    assert routed.status_code == 422
    assert (await catalog.stored())["events"] == before["events"] + 1
    got = (await catalog.call("GET", url, b)).json()["data"]
    assert (got["tools"], got["files"]) == ([], [])


async def test_a_still_sees_everything_unchanged(
        catalog: CatalogApi, a_resources: TenantResources) -> None:
    b = uuid.uuid4()
    for probe in probes(a_resources):
        await catalog.call(probe.method, probe.path, b, **probe.kwargs)
    a = a_resources.tenant
    got = (await catalog.call("GET", f"/api/assistants/{a_resources.assistant}", a)).json()
    assert got["data"]["name"] == "A's bot"
    assert [t["id"] for t in got["data"]["tools"]] == [a_resources.tool]
    assert [f["id"] for f in got["data"]["files"]] == [a_resources.file]
    hours = (await catalog.call("GET", f"/api/business-hours/{a_resources.hours_number}",
                                a)).json()
    assert hours["data"]["weekly_hours"] == "always"
