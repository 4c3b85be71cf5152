"""/api/assistants through the HTTP app, against real Postgres and NATS: seed 001's
bodies, every field's validation, links, deletion, and the update race."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from catalog_service.testing.api import CatalogApi

SEED_ASSISTANT: dict[str, Any] = {
    "name": "Kundenservice Bot",
    "description": "Beantwortet Fragen zu Öffnungszeiten und Terminen",
    "system_prompt": "Du bist ein freundlicher Kundenservice-Assistent.",
    "llm_provider": "OpenAI",
    "llm_model": "gpt-4o",
    "temperature": 0.7,
    "max_tokens": 1000,
    "voice_provider": "ElevenLabs",
    "voice_id": "german-female-professional",
    "language": "de-DE",
    "first_message": "Guten Tag! Wie kann ich Ihnen helfen?",
    "capabilities": {"book_appointments": True, "answer_questions": True},
}
SEED_TOOL = {"name": "kalender_api", "description": "Termine", "endpoint":
             "https://api.calendar.com/v1/events", "method": "POST",
             "parameters": {"type": "object", "properties": {"date": {"type": "string"}}}}


async def upload(catalog: CatalogApi, tenant: uuid.UUID, name: str = "company_info.txt"
                 ) -> dict[str, Any]:
    response = await catalog.call("POST", "/api/files/", tenant,
                                  files={"file": (name, b"Wir sind ein Zahnarzt.", "text/plain")})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_create_with_seed_body_links_tools_and_files(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    tool = await catalog.created("/api/tools/", tenant, SEED_TOOL)
    file = await upload(catalog, tenant)
    response = await catalog.call("POST", "/api/assistants/", tenant, json={
        **SEED_ASSISTANT, "tool_ids": [tool["id"]], "file_ids": [file["id"]]})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert data["name"] == "Kundenservice Bot" and data["status"] == "draft"
    assert data["is_active"] is True and data["owner_id"] == str(tenant)
    assert data["language"] == "de-DE" and data["capabilities"]["book_appointments"] is True
    assert data["tools"] == [{"id": tool["id"], "name": "kalender_api",
                              "endpoint": "https://api.calendar.com/v1/events"}]
    assert data["files"] == [{"id": file["id"], "filename": "company_info.txt",
                              "status": "uploading", "settings": {}}]
    assert {n["field"] for n in data["not_in_effect"]} >= {"llm_model", "voice_provider",
                                                           "voice_id"}
    assert await catalog.event_types(data["id"]) == [
        "assistant_created", "assistant_tool_linked", "assistant_file_linked"]
    got = (await catalog.call("GET", f"/api/assistants/{data['id']}", tenant)).json()
    assert got == {"success": True, "data": data}
    listed = (await catalog.call("GET", "/api/assistants/", tenant)).json()
    assert listed == {"success": True, "data": [data]}


async def test_defaults_fill_what_is_omitted_and_languages_are_normalized(
        catalog: CatalogApi) -> None:
    data = await catalog.created("/api/assistants/", uuid.uuid4(),
                                 {"name": "Empfang", "language": "en_us",
                                  "fallback_language": "DE"})
    assert (data["language"], data["fallback_language"]) == ("en-US", "de")
    assert (data["llm_provider"], data["llm_model"], data["voice_provider"]) == (
        "OpenAI", "gpt-realtime", "OpenAI")
    assert [n["field"] for n in data["not_in_effect"]] == ["llm_model", "temperature"]


BAD_FIELDS: list[tuple[dict[str, Any], str]] = [
    ({"temperature": 2.5}, "temperature"),
    ({"temperature": -0.1}, "temperature"),
    ({"max_tokens": 0}, "max_tokens"),
    ({"max_tokens": "many"}, "max_tokens"),
    ({"language": "german"}, "language"),
    ({"language": None}, "language"),
    ({"fallback_language": "xx-YY"}, "fallback_language"),
    ({"status": "live"}, "status"),
    ({"capabilities": ["book"]}, "capabilities"),
    ({"capabilities": None}, "capabilities"),
    ({"name": ""}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"system_prompt": "x" * 20001}, "system_prompt"),
    ({"voice_speed": 0.1}, "voice_speed"),
    ({"voice_stability": 1.5}, "voice_stability"),
    ({"voice_pitch": 3}, "voice_pitch"),
    ({"interruption_sensitivity": 2}, "interruption_sensitivity"),
    ({"silence_timeout": 0}, "silence_timeout"),
    ({"response_delay": 11}, "response_delay"),
    ({"is_active": "maybe"}, "is_active"),
    ({"tool_ids": ["not-a-uuid"]}, "tool_ids.0"),
    ({"owner_id": 1}, "owner_id"),
    ({"unknown_field": 1}, "unknown_field"),
]


@pytest.mark.parametrize(("change", "field"), BAD_FIELDS)
async def test_every_bad_field_is_422_and_stores_nothing(
        catalog: CatalogApi, change: dict[str, Any], field: str) -> None:
    response = await catalog.call("POST", "/api/assistants/", uuid.uuid4(),
                                  json={**SEED_ASSISTANT, **change})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["success"] is False and body["error"] == "Invalid request"
    assert field in {d["field"] for d in body["details"]}
    assert await catalog.count("events") == 0 and await catalog.count("assistants") == 0


async def test_the_same_bad_fields_are_refused_by_put(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    data = await catalog.created("/api/assistants/", tenant, SEED_ASSISTANT)
    for change, field in BAD_FIELDS:
        if field == "name" and change["name"] == "":
            continue
        response = await catalog.call("PUT", f"/api/assistants/{data['id']}", tenant, json=change)
        assert response.status_code == 422, (change, response.text)
        assert field in {d["field"] for d in response.json()["details"]}
    assert await catalog.event_types(data["id"]) == ["assistant_created"]


async def test_unknown_or_foreign_ids_are_refused_and_nothing_is_stored(
        catalog: CatalogApi) -> None:
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    their_tool = await catalog.created("/api/tools/", theirs, SEED_TOOL)
    their_file = await upload(catalog, theirs)
    before = await catalog.stored()
    nobody = str(uuid.uuid4())
    for body, field in (({"tool_ids": [their_tool["id"]]}, "tool_ids"),
                        ({"file_ids": [their_file["id"], nobody]}, "file_ids")):
        response = await catalog.call("POST", "/api/assistants/", mine,
                                      json={**SEED_ASSISTANT, **body})
        assert response.status_code == 422, response.text
        detail = response.json()["details"][0]
        assert detail["field"] == field
        assert all(i in detail["problem"] for i in body[field])
    assert await catalog.stored() == before


async def test_put_changes_the_given_fields_and_replaces_links(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    one = await catalog.created("/api/tools/", tenant, SEED_TOOL)
    two = await catalog.created("/api/tools/", tenant, {**SEED_TOOL, "name": "crm"})
    data = await catalog.created("/api/assistants/", tenant,
                                 {**SEED_ASSISTANT, "tool_ids": [one["id"]]})
    response = await catalog.call("PUT", f"/api/assistants/{data['id']}", tenant, json={
        "status": "deployed", "voice_provider": "OpenAI", "voice_id": "cedar",
        "tool_ids": [two["id"]]})
    assert response.status_code == 200, response.text
    updated = response.json()["data"]
    assert updated["status"] == "deployed" and updated["name"] == "Kundenservice Bot"
    assert [t["id"] for t in updated["tools"]] == [two["id"]]
    assert {"voice_provider", "voice_id"}.isdisjoint(n["field"] for n in updated["not_in_effect"])
    assert await catalog.event_types(data["id"]) == [
        "assistant_created", "assistant_tool_linked", "assistant_updated",
        "assistant_tool_unlinked", "assistant_tool_linked"]


async def test_concurrent_updates_one_wins_the_other_409(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    data = await catalog.created("/api/assistants/", tenant, SEED_ASSISTANT)
    url = f"/api/assistants/{data['id']}"
    # Each PUT's transaction holds the row it read until the other has read it too.
    await catalog.pool.execute("create or replace function pause_assistant_update() returns"
                               " trigger language plpgsql as $$ begin perform pg_sleep(0.3);"
                               " return new; end $$")
    await catalog.pool.execute("create trigger slow before update on assistants for each row"
                               " execute function pause_assistant_update()")
    answers = await asyncio.gather(*(
        catalog.call("PUT", url, tenant, json={"name": f"Writer {i}"}) for i in range(2)))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    conflict = next(a for a in answers if a.status_code == 409).json()
    assert conflict["success"] is False and "another request" in conflict["error"]
    winner = next(a for a in answers if a.status_code == 200).json()["data"]["name"]
    assert await catalog.event_types(data["id"]) == ["assistant_created", "assistant_updated"]
    stored = (await catalog.call("GET", url, tenant)).json()["data"]["name"]
    assert stored == winner


async def test_malformed_and_unknown_ids_answer_4xx(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    assert (await catalog.call("GET", "/api/assistants/not-a-uuid", tenant)).status_code == 422
    missing = await catalog.call("GET", f"/api/assistants/{uuid.uuid4()}", tenant)
    assert missing.status_code == 404
    assert missing.json() == {"success": False, "error": "Assistant not found"}
    for method in ("PUT", "DELETE"):
        kwargs: dict[str, Any] = {"json": {"name": "x"}} if method == "PUT" else {}
        response = await catalog.call(method, f"/api/assistants/{uuid.uuid4()}", tenant, **kwargs)
        assert response.status_code == 404


async def test_delete_says_who_answers_its_numbers_now(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    data = await catalog.created("/api/assistants/", tenant, SEED_ASSISTANT)
    number = await catalog.created("/api/phone-numbers/", tenant, {
        "phone_number": "+49 30 1234567", "assistant_id": data["id"]})
    assert number["answered_by"] == {"kind": "assistant", "id": data["id"]}
    response = await catalog.call("DELETE", f"/api/assistants/{data['id']}", tenant)
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "data": {
        "id": data["id"], "deleted": True,
        "phone_numbers_now_answered_by": "default_receptionist",
        "phone_numbers": ["+49301234567"]}}
    after = (await catalog.call("GET", f"/api/phone-numbers/{number['id']}", tenant)).json()
    assert after["data"]["answered_by"] == {"kind": "default_receptionist", "id": None}
    assert after["data"]["assistant_id"] is None
    assert await catalog.event_types(number["id"]) == ["phone_number_added",
                                                       "phone_number_updated"]
    assert (await catalog.event_types(data["id"]))[-1] == "assistant_deleted"
    assert (await catalog.call("GET", f"/api/assistants/{data['id']}", tenant)).status_code == 404
    alone = await catalog.created("/api/assistants/", tenant, SEED_ASSISTANT)
    gone = (await catalog.call("DELETE", f"/api/assistants/{alone['id']}", tenant)).json()
    assert gone["data"]["phone_numbers"] == []
    assert gone["data"]["phone_numbers_now_answered_by"] is None
