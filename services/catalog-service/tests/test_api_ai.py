"""Seed 003's ``POST /ai`` through the real ``openai`` SDK against the SIMULATED LLM: the
seed's own request, drafts that fit the lead's channel and language, ``analyze_lead``
of a stored lead, and refusals (bad bodies 422, a model away 503, a rate limit 429)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from catalog_service.settings import CatalogSettings
from catalog_service.testing.api import CatalogApi
from ringbook_simulators.responses.api import LlmState

TENANT = uuid.UUID("00000000-0000-0000-0000-0000000000a1")
OTHER = uuid.UUID("00000000-0000-0000-0000-0000000000b2")
SEED_BODY: dict[str, Any] = {
    "action": "generate_message",
    "data": {
        "messages": [{"role": "user", "content": "Schreib mir ein Follow-up für Lea"}],
        "lead": {"name": "Lea Kramer", "status": "offen", "channel": "WhatsApp",
                 "notes": "Hat Demo gesehen, wartet auf Angebot", "disg_type": "I",
                 "extra": {"last_contact": "2024-11-20"}},
    },
}


@pytest.fixture
def settings(settings: CatalogSettings, llm_url: str) -> CatalogSettings:
    return settings.model_copy(update={"openai_base_url": llm_url,
                                       "ai_rate_limit": "8/minute"})


async def ai(catalog: CatalogApi, body: dict[str, Any], tenant: uuid.UUID = TENANT
             ) -> dict[str, Any]:
    response = await catalog.call("POST", "/ai", tenant, json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def with_lead(**lead: Any) -> dict[str, Any]:
    return {"action": "generate_message",
            "data": {**SEED_BODY["data"], "lead": {**SEED_BODY["data"]["lead"], **lead}}}


async def test_the_seeds_request_gets_a_short_whatsapp_draft(catalog: CatalogApi,
                                                             llm: LlmState) -> None:
    answer = await ai(catalog, SEED_BODY)
    assert answer["action"] == "generate_message"
    reply = answer["reply"]
    assert "Lea" in reply and "WhatsApp" in reply
    assert len(reply) <= 700
    assert answer["draft"] == {"channel": "WhatsApp", "language": "de", "subject": None,
                               "body": reply}
    sent = llm.requests[-1]
    assert sent["text"]["format"]["name"] == "follow_up_draft"
    assert "German" in sent["instructions"] and "WhatsApp message" in sent["instructions"]
    assert "DISG type I" in sent["instructions"]
    assert "Last contact: 2024-11-20" in sent["input"]
    assert "User: Schreib mir ein Follow-up für Lea" in sent["input"]


async def test_an_email_draft_has_a_subject_and_the_language_of_the_request(
        catalog: CatalogApi) -> None:
    body = with_lead(channel="E-Mail", disg_type="G")
    body["data"]["messages"] = [{"role": "user",
                                 "content": "Please write a follow-up e-mail for Lea"}]
    body["data"]["lead"]["notes"] = "Saw the demo, waiting for the quote"
    answer = await ai(catalog, body)
    draft = answer["draft"]
    assert draft["language"] == "en" and draft["channel"] == "E-Mail"
    assert draft["subject"]
    assert "Lea Kramer" in draft["body"] and "E-Mail" in draft["body"]
    assert answer["reply"].startswith(f"Subject: {draft['subject']}\n\n")


async def test_a_stored_lead_is_drafted_for_and_analysed_on_demand(catalog: CatalogApi
                                                                   ) -> None:
    csv = ("Name;E-Mail;Kanal;Notizen;Letzter Kontakt\n"
           "Tom Becker;tom@example.com;E-Mail;Wollte Preise;01.10.2025\n").encode("cp1252")
    imported = await catalog.call("POST", "/import/leads", TENANT, content=csv,
                                  headers={"Content-Type": "text/csv"})
    assert imported.status_code == 200, imported.text
    lead = (await catalog.call("GET", "/api/leads", TENANT)).json()["leads"][0]
    draft = await ai(catalog, {"action": "generate_message", "data": {
        "lead_id": lead["id"], "messages": []}})
    assert "Tom Becker" in draft["reply"] and draft["draft"]["subject"]
    answer = await ai(catalog, {"action": "analyze_lead", "data": {"lead_id": lead["id"]}})
    assert answer["analysis"]["status"] == "neu" and answer["analysis"]["needs_action"]
    assert answer["lead"]["analysis"]["state"] == "analyzed"
    assert answer["lead"]["status"] == "neu"
    assert (await catalog.event_types(lead["id"]))[-1] == "lead_analyzed"
    inline = await ai(catalog, {"action": "analyze_lead",
                                "data": {"lead": SEED_BODY["data"]["lead"]}})
    assert inline["lead"] is None and inline["analysis"]["status"] == "offen"
    missing = await catalog.call("POST", "/ai", OTHER, json={
        "action": "analyze_lead", "data": {"lead_id": lead["id"]}})
    assert missing.status_code == 404


@pytest.mark.parametrize("body", [
    {"action": "dance", "data": {}},
    {"action": "generate_message", "data": {"messages": []}},
    {"action": "generate_message", "data": {"lead": SEED_BODY["data"]["lead"],
                                            "lead_id": str(uuid.uuid4())}},
    {"action": "generate_message", "data": {"lead": {"channel": "WhatsApp"}}},
    with_lead(extra={"last_contact": "gestern"}),
    {"action": "generate_message", "data": {**SEED_BODY["data"],
                                            "messages": [{"role": "system", "content": "x"}]}},
    {"action": "generate_message"},
], ids=["unknown-action", "no-lead", "both-leads", "lead-without-name", "bad-date",
        "system-role", "no-data"])
async def test_bad_requests_are_422_and_ask_no_model(catalog: CatalogApi, llm: LlmState,
                                                     body: dict[str, Any]) -> None:
    response = await catalog.call("POST", "/ai", TENANT, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]
    assert llm.received == 0


async def test_a_model_away_is_503_and_the_rate_limit_429(catalog: CatalogApi,
                                                         llm: LlmState) -> None:
    llm.fail_first, llm.fail_status = 1, 500
    response = await catalog.call("POST", "/ai", TENANT, json=SEED_BODY)
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"]
    statuses = [(await catalog.call("POST", "/ai", TENANT, json=SEED_BODY)).status_code
                for _ in range(8)]
    assert statuses == [200] * 7 + [429]
    assert (await catalog.call("POST", "/ai", OTHER, json=SEED_BODY)).status_code == 200
