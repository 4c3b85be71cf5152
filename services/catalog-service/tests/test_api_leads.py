"""The sales team's reads and writes: ``/leads/needs-action`` (seed 003's sidebar) and
``/api/leads`` (filters, pages, change, delete), tenant-scoped, bad input refused with
nothing stored."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from catalog_service.testing.api import CatalogApi

TENANT = uuid.UUID("00000000-0000-0000-0000-0000000000a1")
HEADER = "Name;E-Mail;Telefon;Status;Kanal;Notizen;Letzter Kontakt"
ROWS = [
    "Anna Alt;anna@example.de;;offen;E-Mail;Kennt uns;2025-06-01",  # stale
    "Bruno Bald;bruno@example.de;;;WhatsApp;;10.01.2026",  # no status
    "Clara Chic;clara@example.de;;angebot;WhatsApp;Angebot offen;14.01.2026",  # fresh
    "Dora Dann;dora@example.de;;gewonnen;Telefon;;01.01.2024",  # won
    "Emil Eilig;;0151 7654321;offen;Telefon;;",  # never contacted
]


@pytest.fixture
async def leads(catalog: CatalogApi) -> dict[str, dict[str, Any]]:
    body = ("\r\n".join([HEADER, *ROWS]) + "\r\n").encode("cp1252")
    response = await catalog.call("POST", "/import/leads", TENANT, content=body,
                                  headers={"Content-Type": "text/csv"})
    assert response.status_code == 200 and not response.json()["errors"], response.text
    page = await catalog.call("GET", "/api/leads", TENANT, params={"limit": 50})
    return {lead["name"]: lead for lead in page.json()["leads"]}


async def names(catalog: CatalogApi, path: str, **params: Any) -> list[str]:
    response = await catalog.call("GET", path, TENANT, params=params)
    assert response.status_code == 200, response.text
    return [lead["name"] for lead in response.json()["leads"]]


async def test_needs_action_lists_leads_without_status_first(
        catalog: CatalogApi, leads: dict[str, Any]) -> None:
    listed = await names(catalog, "/leads/needs-action", limit=8)
    assert listed[0] == "Bruno Bald"
    assert set(listed) == {"Anna Alt", "Bruno Bald", "Emil Eilig"}
    assert await names(catalog, "/leads/needs-action", limit=1) == ["Bruno Bald"]
    first = (await catalog.call("GET", "/leads/needs-action", TENANT)).json()["leads"][0]
    assert {"name", "email", "phone", "status", "needs_action"} <= set(first)


async def test_the_list_filters_sorts_and_pages(catalog: CatalogApi,
                                                leads: dict[str, Any]) -> None:
    assert await names(catalog, "/api/leads", status="none") == ["Bruno Bald"]
    assert await names(catalog, "/api/leads", status="Offen", sort="name") == [
        "Anna Alt", "Emil Eilig"]
    assert await names(catalog, "/api/leads", channel="whatsapp", sort="name") == [
        "Bruno Bald", "Clara Chic"]
    assert await names(catalog, "/api/leads", needs_action="false", sort="name") == [
        "Clara Chic", "Dora Dann"]
    assert await names(catalog, "/api/leads", q="angebot") == ["Clara Chic"]
    assert await names(catalog, "/api/leads", q="100%_") == []
    assert len(await names(catalog, "/api/leads", analysis="pending")) == 5
    assert await names(catalog, "/api/leads", analysis="analyzed") == []
    page = (await catalog.call("GET", "/api/leads", TENANT,
                               params={"sort": "name", "limit": 2, "offset": 2})).json()
    assert ([lead["name"] for lead in page["leads"]], page["total"]) == (
        ["Clara Chic", "Dora Dann"], 5)


async def test_a_change_of_status_and_notes_is_stored_as_an_event(
        catalog: CatalogApi, leads: dict[str, Any]) -> None:
    bruno = leads["Bruno Bald"]
    response = await catalog.call("PATCH", f"/api/leads/{bruno['id']}", TENANT,
                                  json={"status": "Kontaktiert", "notes": " Angerufen "})
    assert response.status_code == 200, response.text
    changed = response.json()["lead"]
    assert (changed["status"], changed["notes"]) == ("kontaktiert", "Angerufen")
    assert changed["analysis"]["state"] == "pending"  # the model looks again
    assert await catalog.event_types(bruno["id"]) == ["lead_created", "lead_updated"]
    done = await catalog.call("PATCH", f"/api/leads/{bruno['id']}", TENANT,
                              json={"needs_action": False, "next_action_at": "2026-02-01"})
    assert done.json()["lead"]["needs_action"] is False
    got = (await catalog.call("GET", f"/api/leads/{bruno['id']}", TENANT)).json()["lead"]
    assert (got["needs_action"], got["next_action_at"]) == (False, "2026-02-01")


async def test_a_deleted_lead_is_gone(catalog: CatalogApi, leads: dict[str, Any]) -> None:
    anna = leads["Anna Alt"]["id"]
    response = await catalog.call("DELETE", f"/api/leads/{anna}", TENANT)
    assert response.json() == {"message": "Lead deleted"}
    assert (await catalog.call("GET", f"/api/leads/{anna}", TENANT)).status_code == 404
    assert (await catalog.call("DELETE", f"/api/leads/{anna}", TENANT)).status_code == 404
    assert (await catalog.event_types(anna))[-1] == "lead_deleted"
    assert await catalog.count("lead_analysis_jobs") == 4


@pytest.mark.parametrize("body", [
    {"status": ""}, {"needs_action": None}, {"last_contact": "2027-01-01"},
    {"last_contact": "20.11.2024"}, {"disg_type": "X"}, {"color": "red"}, {"notes": 5},
], ids=["empty-status", "null-needs-action", "future-contact", "non-iso-date", "disg",
        "unknown-field", "notes-not-text"])
async def test_a_bad_change_is_422_and_stores_nothing(
        catalog: CatalogApi, leads: dict[str, Any], body: dict[str, Any]) -> None:
    before = await catalog.stored()
    response = await catalog.call("PATCH", f"/api/leads/{leads['Anna Alt']['id']}", TENANT,
                                  json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]
    assert await catalog.stored() == before


@pytest.mark.parametrize(("path", "params"), [
    ("/api/leads", {"limit": 0}), ("/api/leads", {"limit": 201}),
    ("/api/leads", {"sort": "password"}), ("/api/leads", {"needs_action": "maybe"}),
    ("/api/leads", {"import_batch_id": "x"}), ("/leads/needs-action", {"limit": 101}),
    ("/api/leads/not-a-uuid", {}),
], ids=["limit-0", "limit-201", "sort", "needs-action", "batch-id", "sidebar-limit", "id"])
async def test_bad_queries_are_422(catalog: CatalogApi, path: str, params: dict[str, Any]
                                   ) -> None:
    response = await catalog.call("GET", path, TENANT, params=params)
    assert response.status_code == 422, response.text


async def test_without_a_token_nothing_is_answered(catalog: CatalogApi) -> None:
    for method, path in (("GET", "/api/leads"), ("GET", "/leads/needs-action"),
                         ("POST", "/import/leads"), ("POST", "/ai")):
        response = await catalog.client.request(method, path)
        assert response.status_code == 401, (path, response.text)
