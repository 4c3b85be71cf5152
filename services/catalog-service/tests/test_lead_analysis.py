"""The model's analysis of imported leads, through the real ``openai`` SDK against the
SIMULATED LLM on a real socket: every lead analysed once (two replicas too), a person's
status never overwritten, a verdict on an old version never applied, failures retried
with backoff until they give up."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from catalog_service.entrypoints.app import Edges, create_app
from catalog_service.settings import CatalogSettings
from catalog_service.testing.api import CatalogApi
from ringbook.clock import FakeClock
from ringbook_devtools.testing.waiting import eventually
from ringbook_simulators.responses.api import LlmState

TENANT = uuid.UUID("00000000-0000-0000-0000-0000000000a1")
HEADER = "Name;E-Mail;Telefon;Status;Kanal;Notizen;Letzter Kontakt"
ROWS = [
    "Jürgen Weiß;juergen@example.de;0151 23456789;angebot;WhatsApp;Wartet auf Angebot;10.01.2026",
    "Lea Kramer;lea@example.com;;;WhatsApp;Hat Demo gesehen;12.01.2026",
    "Max Müller;max@example.de;;offen;Telefon;Ruft zurück;2025-09-01",
]


def export(rows: list[str]) -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode("cp1252")


@pytest.fixture
def settings(settings: CatalogSettings, llm_url: str) -> CatalogSettings:
    return settings.model_copy(update={
        "openai_base_url": llm_url, "lead_analysis_enabled": True,
        "lead_analysis_poll_seconds": 0.05,
        "lead_analysis_lanes": 2, "lead_analysis_retry_base_seconds": 60,
        "lead_analysis_max_attempts": 2})


async def imported(catalog: CatalogApi, rows: list[str]) -> None:
    response = await catalog.call("POST", "/import/leads", TENANT, content=export(rows),
                                  headers={"Content-Type": "text/csv"})
    assert response.status_code == 200, response.text


async def leads_by_name(catalog: CatalogApi) -> dict[str, dict[str, Any]]:
    response = await catalog.call("GET", "/api/leads", TENANT, params={"limit": 200})
    assert response.status_code == 200, response.text
    return {lead["name"]: lead for lead in response.json()["leads"]}


async def all_analysed(catalog: CatalogApi, count: int) -> None:
    async def done() -> bool:
        leads = await leads_by_name(catalog)
        return len(leads) == count and all(
            lead["analysis"]["state"] == "analyzed" for lead in leads.values())
    await eventually(done, within=20, what="every lead analysed")


def lead_requests(llm: LlmState) -> list[dict[str, Any]]:
    return [r for r in llm.requests
            if r.get("text", {}).get("format", {}).get("name") == "lead_analysis"]


async def test_each_imported_lead_is_analysed_once_and_keeps_a_persons_status(
        catalog: CatalogApi, llm: LlmState) -> None:
    await imported(catalog, ROWS)
    await all_analysed(catalog, 3)
    leads = await leads_by_name(catalog)
    assert leads["Lea Kramer"]["status"] == "neu"  # none given: the model's
    assert leads["Jürgen Weiß"]["status"] == "angebot"  # given: kept
    assert leads["Max Müller"]["status"] == "offen"
    assert leads["Lea Kramer"]["needs_action"] is True
    assert leads["Max Müller"]["needs_action"] is True  # stale since September
    assert leads["Jürgen Weiß"]["needs_action"] is False
    for lead in leads.values():
        assert lead["next_action_at"] is not None
        assert lead["next_action_at"] >= "2026-01-15"
        assert lead["next_action_description"]
        assert lead["analysis"]["model"] == "gpt-4o-mini"
    assert leads["Lea Kramer"]["next_action_at"] == "2026-01-17"  # today + 2: urgent
    assert len(lead_requests(llm)) == 3
    assert (await catalog.event_types()).count("lead_analyzed") == 3
    assert await catalog.count("lead_analysis_jobs") == 0
    sent = lead_requests(llm)[0]
    assert sent["store"] is False and sent["text"]["format"]["strict"] is True


async def test_two_replicas_analyse_each_lead_once(
        catalog: CatalogApi, settings: CatalogSettings, clock: FakeClock, edges: Edges,
        llm: LlmState) -> None:
    second = create_app(settings, clock, edges)
    async with second.router.lifespan_context(second):
        await imported(catalog, [f"Lead {i};lead{i}@example.com;;;E-Mail;;" for i in range(40)])
        await all_analysed(catalog, 40)
    assert len(lead_requests(llm)) == 40
    assert (await catalog.event_types()).count("lead_analyzed") == 40


async def test_a_verdict_on_an_old_version_is_dropped_and_the_new_one_analysed(
        catalog: CatalogApi, llm: LlmState) -> None:
    llm.hold = asyncio.Event()
    await imported(catalog, ROWS[1:2])
    await eventually(lambda: llm.received >= 1, what="the model asked")
    lead = (await leads_by_name(catalog))["Lea Kramer"]
    changed = await catalog.call("PATCH", f"/api/leads/{lead['id']}", TENANT,
                                 json={"status": "kontaktiert", "notes": "Angerufen"})
    assert changed.status_code == 200, changed.text
    llm.hold.set()
    await all_analysed(catalog, 1)
    analysed = [e for e in await catalog.pool.fetch(
        "select data from events where type = 'lead_analyzed'")]
    assert len(analysed) == 1  # the verdict on version 1 was not applied
    lead = (await leads_by_name(catalog))["Lea Kramer"]
    assert (lead["status"], lead["notes"]) == ("kontaktiert", "Angerufen")
    assert len(lead_requests(llm)) == 2


async def test_a_failing_model_is_retried_with_backoff_then_the_analysis_fails(
        catalog: CatalogApi, llm: LlmState, clock: FakeClock) -> None:
    llm.fail_first = 10
    await imported(catalog, ROWS[1:2])
    await eventually(lambda: llm.failed >= 1, what="the first attempt")

    async def job() -> Any:
        return await catalog.pool.fetchrow("select * from lead_analysis_jobs")
    await eventually(lambda: _retry_recorded(job), what="the retry recorded")
    row = await job()
    assert row["attempts"] == 1 and row["state"] == "pending"
    assert row["due_at"] >= clock.now() + timedelta(seconds=59)
    clock.advance(timedelta(seconds=61))
    await eventually(lambda: _state_is(catalog, "failed"), what="the analysis failed")
    assert llm.failed == 2  # max_attempts
    lead = (await leads_by_name(catalog))["Lea Kramer"]
    assert lead["analysis"]["state"] == "failed"
    assert lead["needs_action"] is True  # the plain rule stands


async def _retry_recorded(job: Any) -> bool:
    row = await job()
    return row is not None and row["last_error"] is not None


async def _state_is(catalog: CatalogApi, state: str) -> bool:
    return bool(await catalog.pool.fetchval(
        "select count(*) = 1 from leads where analysis_state = $1", state))


async def test_analysis_waits_while_the_model_is_away_and_nothing_is_lost(
        catalog: CatalogApi, settings: CatalogSettings, clock: FakeClock, edges: Edges
        ) -> None:
    unreachable = settings.model_copy(update={"openai_base_url": "http://127.0.0.1:9/v1",
                                              "lead_analysis_enabled": False})
    app = create_app(unreachable, clock, edges)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            away = CatalogApi(client, app)
            response = await away.call("POST", "/import/leads", TENANT, content=export(ROWS),
                                       headers={"Content-Type": "text/csv"})
            assert response.status_code == 200
    # The jobs were stored with the leads: the running replica analyses them.
    await all_analysed(catalog, 3)
