"""Seed 003's sales frontend through the gateway's one base URL, with the whole system
running as processes: a German Excel export imported and counted, every lead then
analysed by the SIMULATED LLM, the sidebar's needs-action list, a follow-up draft for
one of them, and another tenant seeing none of it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from catalog_service.testing.lead_files import german_excel_export
from ringbook_devtools.system import LocalSystem
from ringbook_devtools.testing.waiting import eventually

from tests.e2e.support import User, register, running_system

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[LocalSystem]:
    yield from running_system(request)


@pytest.fixture
async def user(system: LocalSystem) -> AsyncIterator[User]:
    async with httpx.AsyncClient(base_url=system.gateway, timeout=30) as client:
        yield await register(client)


async def leads(user: User, **params: Any) -> dict[str, Any]:
    response = await user.client.get("/api/leads", params=params, headers=user.auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_an_export_is_imported_analysed_and_followed_up(system: LocalSystem,
                                                              user: User) -> None:
    body, expected = german_excel_export(400, seed=5, today=datetime.now(UTC).date())
    answer = await user.client.post(
        "/import/leads", content=body,
        headers={**user.auth, "Content-Type": "text/csv; charset=windows-1252"})
    assert answer.status_code == 200, answer.text
    figures = answer.json()
    assert figures["total_rows"] == 400
    assert figures["imported_count"] == expected.leads
    assert figures["needs_action_count"] == expected.needs_action
    assert figures["without_last_contact_count"] == expected.leads_without_last_contact
    assert sorted({e["row"] for e in figures["errors"]}) == list(expected.error_rows)
    assert (await leads(user, limit=1))["total"] == expected.distinct_keys

    async def analysed() -> bool:
        return (await leads(user, analysis="pending", limit=1))["total"] == 0
    await eventually(analysed, 120, what="every lead analysed", poll=0.5)
    page = await leads(user, limit=200)
    assert all(lead["analysis"]["state"] == "analyzed" for lead in page["leads"])
    assert all(lead["status"] for lead in page["leads"])  # the model set the missing ones

    sidebar = await user.client.get("/leads/needs-action", params={"limit": 8},
                                    headers=user.auth)
    assert sidebar.status_code == 200, sidebar.text
    listed = sidebar.json()["leads"]
    assert 0 < len(listed) <= 8 and all(lead["needs_action"] for lead in listed)

    lead = next(lead for lead in page["leads"] if lead["channel"] == "WhatsApp")
    draft = await user.client.post("/ai", headers=user.auth, json={
        "action": "generate_message",
        "data": {"lead_id": lead["id"],
                 "messages": [{"role": "user", "content": "Schreib ein kurzes Follow-up"}]}})
    assert draft.status_code == 200, draft.text
    reply = draft.json()["reply"]
    assert lead["name"].split()[0] in reply and "WhatsApp" in reply

    async with httpx.AsyncClient(base_url=system.gateway, timeout=30) as client:
        other = await register(client)
        assert (await leads(other))["total"] == 0
        theirs = await other.client.get(f"/api/leads/{lead['id']}", headers=other.auth)
        assert theirs.status_code == 404
