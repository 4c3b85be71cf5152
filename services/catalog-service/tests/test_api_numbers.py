"""/api/phone-numbers (seed 001) and /api/clients (seed 002) through the HTTP app: one
business per number across all tenants (the claim race), who answers a number, and
seed 002's own bodies."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from catalog_service.testing.api import CatalogApi

NUMBER = "+49 30 1234567"
E164 = "+49301234567"
SEED_CLIENT = {"name": "Dr. Mike's Dental", "phone_number": "+1 212 555 0100",
               "profession": "dentist", "voice_name": "af_sarah"}


async def test_add_get_update_release_a_number(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    data = await catalog.created("/api/phone-numbers/", tenant, {
        "phone_number": NUMBER, "friendly_name": "Praxis Berlin", "monthly_price": 1.0,
        "currency": "EUR", "configuration": {"record_calls": False}})
    assert data["phone_number"] == E164 and data["country"] == "DE"
    assert (data["provider"], data["provider_sid"], data["status"]) == ("simulated", None,
                                                                        "active")
    assert data["answered_by"] == {"kind": "default_receptionist", "id": None}
    assert data["owner_id"] == str(tenant) and data["last_used"] is None
    url = f"/api/phone-numbers/{data['id']}"
    assert (await catalog.call("GET", url, tenant)).json() == {"success": True, "data": data}
    assistant = await catalog.created("/api/assistants/", tenant, {"name": "Empfang"})
    routed = await catalog.call("PUT", url, tenant, json={"assistant_id": assistant["id"],
                                                          "friendly_name": "Praxis"})
    assert routed.status_code == 200, routed.text
    assert routed.json()["data"]["answered_by"] == {"kind": "assistant", "id": assistant["id"]}
    back = await catalog.call("PUT", url, tenant, json={"assistant_id": None})
    assert back.json()["data"]["answered_by"]["kind"] == "default_receptionist"
    released = await catalog.call("DELETE", url, tenant)
    assert released.json() == {"success": True, "data": {
        "id": data["id"], "phone_number": E164, "deleted": True}}
    assert await catalog.event_types(data["id"]) == [
        "phone_number_added", "phone_number_updated", "phone_number_updated",
        "phone_number_released"]
    assert await catalog.count("number_claims") == 0
    assert (await catalog.call("GET", url, tenant)).status_code == 404
    # Released: anyone may claim it now.
    await catalog.created("/api/clients", uuid.uuid4(), {**SEED_CLIENT, "phone_number": NUMBER})


@pytest.mark.parametrize(("body", "field"), [
    ({"phone_number": "+1-555-0100"}, "phone_number"),
    ({"phone_number": "030 1234567"}, "phone_number"),
    ({"phone_number": "+4930l234567"}, "phone_number"),
    ({"phone_number": NUMBER, "country": "Germany"}, "country"),
    ({"phone_number": NUMBER, "currency": "euro"}, "currency"),
    ({"phone_number": NUMBER, "monthly_price": -1}, "monthly_price"),
    ({"phone_number": NUMBER, "status": "sold"}, "status"),
    ({"phone_number": NUMBER, "capabilities": ["voice"]}, "capabilities"),
    ({"phone_number": NUMBER, "provider": "twilio"}, "provider"),
    ({"phone_number": NUMBER, "assistant_id": "nope"}, "assistant_id"),
    ({"phone_number": NUMBER, "assistant_id": str(uuid.uuid4())}, "assistant_id"),
    ({}, "phone_number"),
])
async def test_bad_numbers_are_422_and_store_nothing(
        catalog: CatalogApi, body: dict[str, Any], field: str) -> None:
    response = await catalog.call("POST", "/api/phone-numbers/", uuid.uuid4(), json=body)
    assert response.status_code == 422, response.text
    assert field in {d["field"] for d in response.json()["details"]}
    assert await catalog.stored() == dict.fromkeys(await catalog.stored(), 0)


async def test_another_tenants_assistant_cannot_answer_my_number(catalog: CatalogApi) -> None:
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    their_assistant = await catalog.created("/api/assistants/", theirs, {"name": "X"})
    number = await catalog.created("/api/phone-numbers/", mine, {"phone_number": NUMBER})
    response = await catalog.call("PUT", f"/api/phone-numbers/{number['id']}", mine,
                                  json={"assistant_id": their_assistant["id"]})
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "assistant_id"
    assert await catalog.event_types(number["id"]) == ["phone_number_added"]


async def test_n_concurrent_claims_of_one_number_exactly_one_wins(catalog: CatalogApi) -> None:
    tenants = [uuid.uuid4() for _ in range(3)]
    spellings = [NUMBER, E164, "+49 (30) 123-4567"]
    attempts = []
    for i in range(8):
        tenant, spelling = tenants[i % 3], spellings[i % 3]
        if i % 2:
            attempts.append(catalog.call("POST", "/api/clients", tenant,
                                         json={**SEED_CLIENT, "phone_number": spelling}))
        else:
            attempts.append(catalog.call("POST", "/api/phone-numbers/", tenant,
                                         json={"phone_number": spelling}))
    answers = await asyncio.gather(*attempts)
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] + [409] * 7, [a.text for a in answers]
    losers = [a.json() for a in answers if a.status_code == 409]
    assert all(f"The number {E164} is already taken" in b["error"] for b in losers)
    types = await catalog.event_types()
    assert len(types) == 1 and types[0] in ("phone_number_added", "client_created")
    claims = await catalog.pool.fetch("select number, kind from number_claims")
    assert [r["number"] for r in claims] == [E164]
    assert await catalog.count("phone_numbers") + await catalog.count("clients") == 1


# --- seed 002: clients ----------------------------------------------------------------


async def test_clients_with_seed_002s_bodies(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    response = await catalog.call("POST", "/api/clients", tenant, json=SEED_CLIENT)
    assert response.status_code == 201, response.text
    client = response.json()["client"]
    assert set(response.json()) == {"client"}
    assert {k: client[k] for k in ("name", "phone_number", "profession", "voice_name")} == {
        "name": "Dr. Mike's Dental", "phone_number": "+12125550100", "profession": "dentist",
        "voice_name": "af_sarah"}
    assert {"id", "created_at"} <= set(client)
    listed = (await catalog.call("GET", "/api/clients", tenant)).json()
    assert listed == {"clients": [client]}
    url = f"/api/clients/{client['id']}"
    assert (await catalog.call("GET", url, tenant)).json() == {"client": client}
    updated = await catalog.call("PUT", url, tenant, json={
        "name": "Dr. Mike's Dental Care", "profession": "orthodontist", "voice_name": "af_bella"})
    assert updated.status_code == 200
    assert updated.json()["client"]["profession"] == "orthodontist"
    assert updated.json()["client"]["phone_number"] == "+12125550100"
    deleted = await catalog.call("DELETE", url, tenant)
    assert deleted.status_code == 200 and deleted.json() == {"message": "Client deleted"}
    missing = await catalog.call("GET", url, tenant)
    assert missing.status_code == 404 and missing.json() == {"error": "Client not found"}
    assert await catalog.event_types(client["id"]) == [
        "client_created", "client_updated", "client_deleted"]
    assert await catalog.count("number_claims") == 0


async def test_seed_002s_sample_number_is_refused_as_unroutable(catalog: CatalogApi) -> None:
    response = await catalog.call("POST", "/api/clients", uuid.uuid4(), json={
        **SEED_CLIENT, "phone_number": "+1-555-0100"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "Invalid request" and "success" not in body
    assert body["details"][0]["field"] == "phone_number"
    assert await catalog.count("events") == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"phone_number": "+12125550100"}, "name"),
    ({"name": "X"}, "phone_number"),
    ({"name": "", "phone_number": "+12125550100"}, "name"),
    ({"name": "X", "phone_number": "+12125550100", "voice_name": "v" * 101}, "voice_name"),
    ({"name": "X", "phone_number": "+12125550100", "user_id": 1}, "user_id"),
])
async def test_bad_clients_are_422(catalog: CatalogApi, body: dict[str, Any], field: str) -> None:
    response = await catalog.call("POST", "/api/clients", uuid.uuid4(), json=body)
    assert response.status_code == 422
    assert field in {d["field"] for d in response.json()["details"]}
    assert await catalog.count("events") == 0


async def test_a_client_moving_to_another_number_frees_the_old(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    client = await catalog.created("/api/clients", tenant, SEED_CLIENT)
    taken = await catalog.created("/api/phone-numbers/", uuid.uuid4(), {"phone_number": NUMBER})
    refused = await catalog.call("PUT", f"/api/clients/{client['client']['id']}", tenant,
                                 json={"phone_number": NUMBER})
    assert refused.status_code == 409 and "already taken" in refused.json()["error"]
    moved = await catalog.call("PUT", f"/api/clients/{client['client']['id']}", tenant,
                               json={"phone_number": "+1 212 555 0199"})
    assert moved.json()["client"]["phone_number"] == "+12125550199"
    claims = {r["number"] for r in await catalog.pool.fetch("select number from number_claims")}
    assert claims == {"+12125550199", taken["phone_number"]}
    await catalog.created("/api/clients", uuid.uuid4(), SEED_CLIENT)  # the old one is free
