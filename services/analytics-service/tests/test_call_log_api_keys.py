"""Tenant API keys against real Postgres and nats-server: created, listed without their
secret, revoked, refused when missing or invalid, and bound to their tenant's clients."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from analytics_service.application.api_keys import MAX_ACTIVE_KEYS
from call_log_harness import SEED_BODY, CallLogService, events_stored, post_call


async def test_keys_are_listed_without_their_secret_and_revoked_keys_stop_working(
    call_log: CallLogService,
) -> None:
    tenant = uuid.uuid4()
    client_id = await call_log.add_client(tenant)
    first = await call_log.new_key(tenant, "one")
    call_log.clock.advance(timedelta(seconds=1))  # listed oldest first
    second = await call_log.new_key(tenant, "two")
    listed = await call_log.client.get("/api/api-keys", headers=call_log.auth(tenant))
    assert listed.status_code == 200
    assert [k["name"] for k in listed.json()["api_keys"]] == ["one", "two"]
    assert first["key"] not in listed.text and second["key"] not in listed.text
    assert listed.json()["api_keys"][0]["prefix"] == first["key"][:10]
    stored = await call_log.runtime.pool.fetchval(
        "select count(*) from api_keys where key_hash::text like '%' || $1 || '%'",
        first["key"])
    assert stored == 0  # only the hash is kept

    revoked = await call_log.client.delete(f"/api/api-keys/{first['id']}",
                                           headers=call_log.auth(tenant))
    assert revoked.status_code == 200 and revoked.json() == {"message": "API key revoked"}
    refused = await post_call(call_log, first["key"], client_id=str(client_id), **SEED_BODY)
    assert refused.status_code == 401
    assert refused.json() == {"error": "Missing or invalid API key"}
    again = await call_log.client.delete(f"/api/api-keys/{first['id']}",
                                         headers=call_log.auth(tenant))
    assert again.status_code == 404
    accepted = await post_call(call_log, second["key"], client_id=str(client_id), **SEED_BODY)
    assert accepted.status_code == 201
    names = await call_log.client.get("/api/api-keys", headers=call_log.auth(tenant))
    assert [k["name"] for k in names.json()["api_keys"]] == ["two"]


@pytest.mark.parametrize("key", [None, "", "garbage", "rbk_" + "x" * 43,
                                 ("rbk_" + "é" * 10).encode(), "rbk_" + "y" * 200])
async def test_a_call_without_a_valid_key_is_401_and_stores_nothing(
    call_log: CallLogService, key: str | bytes | None,
) -> None:
    tenant = uuid.uuid4()
    client_id = await call_log.add_client(tenant)
    before = await events_stored(call_log)
    response = await post_call(call_log, key, client_id=str(client_id), **SEED_BODY)
    assert response.status_code == 401
    assert response.json() == {"error": "Missing or invalid API key"}
    assert await events_stored(call_log) == before


async def test_a_key_logs_only_for_its_own_tenants_clients(call_log: CallLogService) -> None:
    tenant, other = uuid.uuid4(), uuid.uuid4()
    others_client = await call_log.add_client(other)
    key = (await call_log.new_key(tenant))["key"]
    before = await events_stored(call_log)
    for client_id in (others_client, uuid.uuid4()):
        response = await post_call(call_log, key, client_id=str(client_id), **SEED_BODY)
        assert response.status_code == 404
        assert response.json() == {"error": "Client not found"}
    assert await events_stored(call_log) == before


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
async def test_a_bad_key_name_is_422(call_log: CallLogService, name: str) -> None:
    tenant = uuid.uuid4()
    response = await call_log.client.post("/api/api-keys", json={"name": name},
                                          headers=call_log.auth(tenant))
    assert response.status_code == 422
    extra = await call_log.client.post("/api/api-keys", json={"name": "a", "key": "mine"},
                                       headers=call_log.auth(tenant))
    assert extra.status_code == 422
    assert (await call_log.client.get("/api/api-keys", headers=call_log.auth(tenant))
            ).json() == {"api_keys": []}


async def test_a_tenant_holds_at_most_fifty_active_keys(call_log: CallLogService) -> None:
    tenant = uuid.uuid4()
    keys = [await call_log.new_key(tenant, f"k{n}") for n in range(MAX_ACTIVE_KEYS)]
    refused = await call_log.client.post("/api/api-keys", json={"name": "one more"},
                                         headers=call_log.auth(tenant))
    assert refused.status_code == 409
    assert refused.json() == {"error": "At most 50 active API keys; revoke one first"}
    await call_log.client.delete(f"/api/api-keys/{keys[0]['id']}",
                                 headers=call_log.auth(tenant))
    await call_log.new_key(tenant, "after a revoke")
    await call_log.new_key(uuid.uuid4(), "another tenant's first")
