"""Seed 000's request flow through all five services, callee open around the clock."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import nats
import pytest
from ringbook_devtools.system import LocalSystem
from ringbook_devtools.testing.waiting import eventually

from tests.e2e.support import (
    ANSWERS,
    BUSY,
    NO_ANSWER,
    User,
    register,
    running_system,
    types,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[LocalSystem]:
    yield from running_system(request, DEFAULT_BUSINESS_HOURS="always", CALL_RETRY_DELAY_SECONDS="1",
                          SIMCARRIER_ANSWERED_HOLD_SECONDS="3", SIMCARRIER_RING_SECONDS="0.3")


@pytest.fixture
async def user(system: LocalSystem) -> AsyncIterator[User]:
    async with httpx.AsyncClient(base_url=system.gateway, timeout=10) as client:
        yield await register(client)


async def carrier_calls(system: LocalSystem, number_e164: str) -> list[dict[str, object]]:
    async with httpx.AsyncClient() as client:
        calls = (await client.get(f"{system.url('carrier')}/calls")).json()["calls"]
    return [c for c in calls if c["to"] == number_e164]


async def test_a_call_the_callee_ends_before_any_result_is_retried_then_fails(
    user: User,
) -> None:
    # This system's callee hangs up 3 s after answering, before the agent can book.
    request_id = await user.submit(ANSWERS)
    request = await user.wait_for(request_id, lambda r: r["status"] == "in_progress")
    assert types(request)[:3] == ["request_received", "call_started", "call_connected"]
    assert request["number_to_call"] == "+49305550100"
    request = await user.wait_for(request_id, lambda r: "call_failed" in types(r))
    assert types(request)[:5] == ["request_received", "call_started", "call_connected",
                                  "call_completed", "call_failed"]
    failure = request["timeline"][4]["message"]
    assert "hung up" in failure and "retrying" in failure
    request = await user.wait_for(request_id, lambda r: r["status"] == "failed", within=60)
    assert types(request) == ["request_received"] + [
        "call_started", "call_connected", "call_completed", "call_failed"] * 3


@pytest.mark.parametrize("number", [BUSY, NO_ANSWER])
async def test_unreachable_callee_waits_for_callback_then_fails(user: User, number: str) -> None:
    request_id = await user.submit(number)
    await user.wait_for(request_id, lambda r: r["status"] == "waiting_for_callback")
    request = await user.wait_for(request_id, lambda r: r["status"] == "failed", within=40)
    assert types(request) == ["request_received"] + ["call_started", "call_failed"] * 3


async def test_idempotent_submit_and_conflict(user: User) -> None:
    body = user.request_body(ANSWERS)
    first = await user.client.post("/api/process-request", json=body, headers=user.auth)
    again = await user.client.post("/api/process-request", json=body, headers=user.auth)
    assert first.status_code == again.status_code == 202
    changed = {**body, "title": "Etwas anderes"}
    conflict = await user.client.post("/api/process-request", json=changed, headers=user.auth)
    assert conflict.status_code == 409
    assert conflict.json()["status"] == "error"
    request = await user.wait_for(body["request_id"], lambda r: "call_started" in types(r))
    assert types(request).count("request_received") == 1


async def test_other_users_requests_are_invisible(system: LocalSystem, user: User) -> None:
    request_id = await user.submit(ANSWERS)
    other = await register(user.client)
    response = await user.client.get(f"/api/requests/{request_id}", headers=other.auth)
    assert response.status_code == 404
    foreign = other.request_body(ANSWERS, user_id=user.id)
    response = await user.client.post("/api/process-request", json=foreign, headers=other.auth)
    assert response.status_code == 403


async def stored_counts(system: LocalSystem) -> tuple[int, int]:
    conn = await asyncpg.connect(system.database_url)
    try:
        events = await conn.fetchval("select count(*) from request_service.events")
        outbox = await conn.fetchval("select count(*) from request_service.outbox")
        return int(events), int(outbox)
    finally:
        await conn.close()


@pytest.mark.parametrize("mutate", [
    lambda b: b.pop("title"),
    lambda b: b.update(number_to_call=None),
    lambda b: b.update(callback_number="+49 123 456789"),  # the seed's sample: not valid
    lambda b: b.update(number_to_call="call my dentist"),
    lambda b: b.update(request_id="test-uuid"),
    lambda b: b.update(user_profile="Max"),
    lambda b: b.update(title=["not", "a", "string"]),
    lambda b: b.update(description="x" * 100_000),
], ids=["missing", "null-number", "invalid-callback", "garbage-number", "bad-id",
        "wrong-type-profile", "wrong-type-title", "huge-field"])
async def test_bad_input_answers_4xx_and_stores_nothing(system: LocalSystem, user: User,
                                                        mutate) -> None:  # type: ignore[no-untyped-def]
    before = await stored_counts(system)
    body = user.request_body(ANSWERS)
    mutate(body)
    response = await user.client.post("/api/process-request", json=body, headers=user.auth)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["status"] == "error" or "error" in response.json()
    assert await stored_counts(system) == before


async def test_malformed_and_huge_bodies(system: LocalSystem, user: User) -> None:
    before = await stored_counts(system)
    headers = {**user.auth, "Content-Type": "application/json"}
    malformed = await user.client.post("/api/process-request", content=b"{not json", headers=headers)
    assert malformed.status_code == 400 and malformed.json()["status"] == "error"
    huge = await user.client.post("/api/process-request", content=b"{" + b" " * 2_000_000 + b"}",
                                  headers=headers)
    assert huge.status_code == 413
    unauthenticated = await user.client.post("/api/process-request",
                                             json=user.request_body(ANSWERS))
    assert unauthenticated.status_code == 401
    assert await stored_counts(system) == before


async def test_redelivered_request_event_dials_once(system: LocalSystem, user: User) -> None:
    request_id = await user.submit("+49 30 5550123")
    await user.wait_for(request_id, lambda r: "call_started" in types(r))
    # Publish the same event again, past JetStream's de-dup (a new Nats-Msg-Id): the
    # orchestrator's inbox must swallow it.
    conn = await asyncpg.connect(system.database_url)
    row = await conn.fetchrow("select subject, payload from request_service.outbox o join"
                              " request_service.events e on e.id = o.event_id"
                              " where e.aggregate_id = $1", uuid.UUID(request_id))
    await conn.close()
    nc = await nats.connect(system.nats_url)
    await nc.jetstream().publish(row["subject"], bytes(row["payload"]),
                                 headers={"Nats-Msg-Id": "redelivery-" + request_id})
    await nc.close()
    # Sentinel: a later request, behind the duplicate on REQUESTS. Once it is dialed, the
    # orchestrator has handled the duplicate, and any attempt the duplicate had caused
    # would be committed (the dialer takes due timers oldest first).
    sentinel = await user.submit(ANSWERS)
    await user.wait_for(sentinel, lambda r: "call_started" in types(r))
    conn = await asyncpg.connect(system.database_url)
    attempts = await conn.fetchval("select count(*) from call_orchestrator.call_attempts"
                                   " where request_id = $1", uuid.UUID(request_id))
    await conn.close()
    assert attempts == 1
    assert len(await carrier_calls(system, "+49305550123")) == 1
    request = await user.get(request_id)
    assert types(request).count("call_started") == 1


async def test_timeline_streams_as_server_sent_events(system: LocalSystem, user: User) -> None:
    request_id = await user.submit(ANSWERS)
    seen: list[str] = []
    url = f"/api/requests/{request_id}/stream?access_token={user.token}"
    async with user.client.stream("GET", url, timeout=30) as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                seen.append(json.loads(line[5:])["type"])
            if "call_connected" in seen:
                break
    assert seen[:3] == ["request_received", "call_started", "call_connected"]


async def test_analytics_counts_requests_per_status_per_day(system: LocalSystem, user: User) -> None:
    """Through the gateway, the one base URL: it forwards analytics' public paths."""
    await user.submit(ANSWERS)
    data: list[dict[str, Any]] = []
    async with httpx.AsyncClient(base_url=system.gateway) as client:

        async def counted() -> bool:
            nonlocal data
            response = await client.get("/api/analytics/requests-per-day", headers=user.auth)
            assert response.status_code == 200
            data = response.json()["data"]
            return bool(data) and data[0]["total"] >= 1

        await eventually(counted, 20, what=lambda: f"last answer: {data}", poll=0.2)
    assert data[0]["total"] == 1
    assert sum(data[0]["by_status"].values()) == 1
    async with httpx.AsyncClient(base_url=system.url("analytics-service")) as direct:
        answer = await direct.get("/api/analytics/requests-per-day", headers=user.auth)
    assert answer.json()["data"][0]["total"] == 1  # the same service behind both
    async with httpx.AsyncClient(base_url=system.gateway) as client:
        refused = await client.get("/api/analytics/requests-per-day")
    assert refused.status_code == 401  # the upstream checks the token itself
