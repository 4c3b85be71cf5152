"""The call log's HTTP API against real Postgres and nats-server: calls logged by other
agents (through the event store, the relay and the projection), seed 002's bodies and figures, tenant isolation, bad input, and the analysts' role."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest
from analytics_service.testing import publish
from call_log_harness import SEED_BODY, CallLogService, events_stored, post_call
from ringbook.contracts.call_log import CallAnalyzed, call_analysis_id
from ringbook.events import new_event


async def test_a_call_logged_with_a_key_is_in_the_log_and_the_figures(
    call_log: CallLogService,
) -> None:
    tenant = uuid.uuid4()
    client_id = await call_log.add_client(tenant)
    key = await call_log.new_key(tenant, "front desk agent")
    assert set(key) == {"id", "key", "name", "created_at"}
    assert key["key"].startswith("rbk_") and key["name"] == "front desk agent"

    response = await post_call(call_log, key["key"], client_id=str(client_id), **SEED_BODY)
    assert response.status_code == 201, response.text
    created = response.json()["call"]
    assert set(created) == {"id", "client_id", "created_at"}
    assert created["client_id"] == str(client_id)

    # The row comes through the outbox, the relay, ANALYTICS and the projection.
    detail = await call_log.wait_call(tenant, uuid.UUID(created["id"]), lambda c: True,
                                      "the logged call projected")
    for field, value in SEED_BODY.items():
        assert detail[field] == value, field
    assert detail["direction"] == "logged" and detail["client_id"] == str(client_id)
    assert detail["analysis"] is None and detail["usage"] is None

    listed = await call_log.ok(tenant, "/api/calls", client_id=str(client_id))
    assert listed["total"] == 1 and listed["limit"] == 50 and listed["offset"] == 0
    summary = listed["calls"][0]
    assert {k: summary[k] for k in ("caller_phone", "caller_name", "duration_seconds",
                                    "sentiment", "success")} == {
        k: SEED_BODY[k] for k in ("caller_phone", "caller_name", "duration_seconds",
                                  "sentiment", "success")}
    assert await call_log.ok(tenant, "/api/analytics/dashboard") == {
        "total_calls": 1, "total_duration": 45.5, "success_rate": 100.0,
        "avg_sentiment": "POSITIVE", "total_clients": 1}
    assert await call_log.ok(tenant, f"/api/analytics/client/{client_id}/stats") == {
        "client_id": str(client_id), "client_name": "Dr. Mike's Dental", "total_calls": 1,
        "total_duration": 45.5, "success_rate": 100.0, "avg_stt_latency_ms": 150.0,
        "avg_llm_latency_ms": 300.0, "avg_tts_latency_ms": 200.0}


async def test_figures_over_several_calls(call_log: CallLogService) -> None:
    tenant = uuid.uuid4()
    client_id = await call_log.add_client(tenant)
    key = (await call_log.new_key(tenant))["key"]
    bodies = [
        {"duration_seconds": 10, "sentiment": "POSITIVE", "success": True},
        {"duration_seconds": 20, "sentiment": "NEGATIVE", "success": False},
        {"duration_seconds": 30.25, "sentiment": "NEUTRAL", "success": True},
        {"duration_seconds": 0, "success": False},
    ]
    ids = []
    for body in bodies:
        response = await post_call(call_log, key, client_id=str(client_id), **body)
        assert response.status_code == 201, response.text
        ids.append(uuid.UUID(response.json()["call"]["id"]))
    for call_id in ids:
        await call_log.wait_call(tenant, call_id, lambda c: True, "logged call")
    assert await call_log.ok(tenant, "/api/analytics/dashboard") == {
        "total_calls": 4, "total_duration": 60.2, "success_rate": 50.0,
        # Mean score (1 - 1 + 0) / 3 = 0: within the middle third.
        "avg_sentiment": "NEUTRAL", "total_clients": 1}
    assert await call_log.ok(tenant, "/api/analytics/sentiment") == {
        "POSITIVE": 1, "NEGATIVE": 1, "NEUTRAL": 1}
    page = await call_log.ok(tenant, "/api/calls", limit=3, offset=2)
    assert page["total"] == 4 and len(page["calls"]) == 2 and page["limit"] == 3


@pytest.mark.parametrize("change", [
    {"extra_field": 1},
    {"duration_seconds": -1},
    {"duration_seconds": "long"},
    {"sentiment": "HAPPY"},
    {"client_id": "not-a-uuid"},
    {"stt_latency_ms": -5},
    {"caller_name": "x" * 201},
])
async def test_a_bad_call_body_is_422_and_stores_nothing(
    call_log: CallLogService, change: dict[str, Any],
) -> None:
    tenant = uuid.uuid4()
    client_id = await call_log.add_client(tenant)
    key = (await call_log.new_key(tenant))["key"]
    before = await events_stored(call_log)
    body = {"client_id": str(client_id), **SEED_BODY, **change}
    response = await post_call(call_log, key, **body)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "Invalid request"
    assert await events_stored(call_log) == before
    missing = {k: v for k, v in body.items() if k != "duration_seconds"}
    assert (await post_call(call_log, key, **missing)).status_code == 422


async def test_every_endpoint_is_tenant_scoped(call_log: CallLogService) -> None:
    tenant, other = uuid.uuid4(), uuid.uuid4()
    client_id = await call_log.add_client(tenant)
    key = await call_log.new_key(tenant)
    response = await post_call(call_log, key["key"], client_id=str(client_id), **SEED_BODY)
    call_id = uuid.UUID(response.json()["call"]["id"])
    await call_log.wait_call(tenant, call_id, lambda c: True, "logged call")

    assert await call_log.ok(other, "/api/calls") == {"total": 0, "limit": 50, "offset": 0,
                                                      "calls": []}
    assert (await call_log.get(other, f"/api/calls/{call_id}")).json() == {
        "error": "Call not found"}
    assert (await call_log.get(other, f"/api/analytics/client/{client_id}/stats")
            ).status_code == 404
    assert await call_log.ok(other, "/api/analytics/dashboard") == {
        "total_calls": 0, "total_duration": 0.0, "success_rate": 0.0, "avg_sentiment": None,
        "total_clients": 0}
    assert await call_log.ok(other, "/api/analytics/calls-per-day") == {"data": []}
    assert await call_log.ok(other, "/api/analytics/sentiment") == {
        "POSITIVE": 0, "NEGATIVE": 0, "NEUTRAL": 0}
    keys = await call_log.client.get("/api/api-keys", headers=call_log.auth(other))
    assert keys.json() == {"api_keys": []}
    stolen = await call_log.client.delete(f"/api/api-keys/{key['id']}",
                                          headers=call_log.auth(other))
    assert stolen.status_code == 404
    still = await post_call(call_log, key["key"], client_id=str(client_id), **SEED_BODY)
    assert still.status_code == 201


@pytest.mark.parametrize(("path", "params"), [
    ("/api/calls", {"limit": "0"}),
    ("/api/calls", {"limit": "201"}),
    ("/api/calls", {"offset": "-1"}),
    ("/api/calls", {"client_id": "xyz"}),
    ("/api/calls", {"days": "0"}),
    ("/api/calls", {"days": "367"}),
    ("/api/calls/not-a-uuid", {}),
    ("/api/analytics/calls-per-day", {"days": "0"}),
    ("/api/analytics/client/not-a-uuid/stats", {}),
    ("/api/api-keys/not-a-uuid", {}),
])
async def test_bad_params_are_4xx_json(call_log: CallLogService, path: str,
                                       params: dict[str, str]) -> None:
    method = call_log.client.delete if path.startswith("/api/api-keys") else call_log.client.get
    response = await method(path, params=params, headers=call_log.auth(uuid.uuid4()))
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "Invalid request"


# Fixed ids: pytest-xdist's workers must collect the same test names.
UNKNOWN_CALL = "/api/calls/7d0e6c55-0000-4000-8000-000000000001"


@pytest.mark.parametrize("path", ["/api/calls", UNKNOWN_CALL, "/api/api-keys",
                                  "/api/analytics/dashboard", "/api/analytics/sentiment",
                                  "/api/analytics/calls-per-day"])
async def test_reads_need_a_token(call_log: CallLogService, path: str) -> None:
    response = await call_log.client.get(path)
    assert response.status_code == 401
    assert response.json() == {"error": "Missing or malformed Authorization header"}


async def test_unknown_ids_are_404(call_log: CallLogService) -> None:
    tenant = uuid.uuid4()
    for path in (f"/api/calls/{uuid.uuid4()}", f"/api/analytics/client/{uuid.uuid4()}/stats"):
        response = await call_log.get(tenant, path)
        assert response.status_code == 404 and "error" in response.json()


async def test_the_analyst_role_reads_views_and_no_table(call_log: CallLogService) -> None:
    tenant = uuid.uuid4()
    await call_log.add_client(tenant)
    async with call_log.runtime.pool.acquire() as conn:
        for view in ("call_log", "calls_per_day", "sentiment", "client_stats",
                     "requests_per_day"):
            async with conn.transaction():
                await conn.execute("set local role ringbook_analyst")
                await conn.fetch(f"select * from {view}")  # allowed
        async with conn.transaction():
            await conn.execute("set local role ringbook_analyst")
            rows = await conn.fetch("select client_name from client_stats where tenant_id = $1",
                                    tenant)
            assert [r["client_name"] for r in rows] == ["Dr. Mike's Dental"]
        for table in ("calls", "clients", "api_keys", "request_facts", "events"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                async with conn.transaction():
                    await conn.execute("set local role ringbook_analyst")
                    await conn.fetch(f"select * from {table}")
        can_login = await conn.fetchval(
            "select rolcanlogin from pg_roles where rolname = 'ringbook_analyst'")
        assert can_login is False


async def test_an_analysis_of_a_logged_call_replaces_the_bodys_sentiment(
    call_log: CallLogService,
) -> None:
    tenant = uuid.uuid4()
    client_id = await call_log.add_client(tenant)
    key = (await call_log.new_key(tenant))["key"]
    response = await post_call(call_log, key, client_id=str(client_id), **SEED_BODY)
    call_id = uuid.UUID(response.json()["call"]["id"])
    await call_log.wait_call(tenant, call_id, lambda c: True, "logged call")
    # The logged call's aggregate and its analysis's share the call's id, each at v1.
    await publish(call_log.js, analysis_of(tenant, call_id, "NEGATIVE", version=1,
                                           clock=call_log.clock))
    await call_log.wait_call(tenant, call_id, lambda c: c["sentiment"] == "NEGATIVE",
                             "the first analysis applied")
    # Re-analyses out of order: v3 waits for v2, and the last one stays.
    await publish(call_log.js,
                  analysis_of(tenant, call_id, "POSITIVE", version=3, clock=call_log.clock),
                  analysis_of(tenant, call_id, "NEUTRAL", version=2, clock=call_log.clock))
    detail = await call_log.wait_call(
        tenant, call_id, lambda c: c["analysis"]["summary"] == "v3", "the third analysis")
    assert detail["sentiment"] == "POSITIVE" and detail["success"] is False
    assert detail["notes"] == SEED_BODY["notes"]  # the body's other fields stay


def analysis_of(tenant: uuid.UUID, call_id: uuid.UUID, sentiment: Any, *, version: int,
                clock: Any) -> Any:
    data = CallAnalyzed(tenant_id=tenant, call_id=call_id, summary=f"v{version}",
                        sentiment=sentiment, success=False, model="simulated")
    return new_event(data, aggregate_id=call_analysis_id(call_id), version=version, tenant_id=tenant,
                     correlation_id=call_id, clock=clock)
