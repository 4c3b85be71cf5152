"""The call log with the whole system running as processes, through the gateway: an
outbound call's row from the real CALLS events of call-orchestrator and media-bridge,
and a call logged with a tenant API key for a client created in catalog-service."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from ringbook_devtools.system import LocalSystem
from ringbook_devtools.testing.waiting import eventually

from tests.e2e.support import ANSWERS, User, register, running_system

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[LocalSystem]:
    yield from running_system(request, DEFAULT_BUSINESS_HOURS="always")


@pytest.fixture
async def user(system: LocalSystem) -> AsyncIterator[User]:
    async with httpx.AsyncClient(base_url=system.gateway, timeout=10) as client:
        yield await register(client)


async def calls_of(user: User, **params: Any) -> dict[str, Any]:
    response = await user.client.get("/api/calls", params=params, headers=user.auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_an_answered_outbound_call_is_logged_with_its_transcript(user: User) -> None:
    await user.submit(ANSWERS)
    listed: dict[str, Any] = {}

    async def logged() -> bool:
        nonlocal listed
        listed = await calls_of(user)
        return any(c["outcome"] not in (None, "no_conversation") for c in listed["calls"])

    await eventually(logged, 60, what=lambda: f"last answer: {listed}", poll=0.5)
    call = next(c for c in listed["calls"] if c["outcome"] not in (None, "no_conversation"))
    assert call["direction"] == "outbound"
    detail = await user.client.get(f"/api/calls/{call['id']}", headers=user.auth)
    assert detail.status_code == 200, detail.text
    body = detail.json()["call"]
    assert body["transcript"] and body["transcript"].startswith(("Agent: ", "Caller: "))
    assert body["transcript_lines"] and body["duration_seconds"] is not None


async def test_a_call_logged_with_an_api_key_reaches_the_log_and_the_dashboard(
    user: User,
) -> None:
    phone = f"+1212555{random.randrange(10**4):04d}"
    created = await user.client.post("/api/clients", headers=user.auth, json={
        "name": "Dr. Mike's Dental", "phone_number": phone})
    assert created.status_code == 201, created.text
    client_id = created.json()["client"]["id"]
    key = await user.client.post("/api/api-keys", headers=user.auth, json={"name": "agent"})
    assert key.status_code == 201, key.text
    body = {"client_id": client_id, "caller_phone": "+1-555-0200", "duration_seconds": 45.5,
            "stt_latency_ms": 150, "sentiment": "POSITIVE", "success": True}
    answer: httpx.Response | None = None

    async def accepted() -> bool:
        # 404 until analytics-service has the client from CATALOG; a 404 stores nothing.
        nonlocal answer
        answer = await user.client.post("/api/calls", json=body,
                                        headers={"X-API-Key": key.json()["key"]})
        assert answer.status_code in (201, 404), answer.text
        return answer.status_code == 201

    await eventually(accepted, 30, what=lambda: f"last answer: {answer}", poll=0.3)
    assert answer is not None
    call_id = answer.json()["call"]["id"]

    async def listed() -> bool:
        return [c["id"] for c in (await calls_of(user, client_id=client_id))["calls"]] == [
            call_id]

    await eventually(listed, 30, what="the logged call listed", poll=0.3)
    dashboard = await user.client.get("/api/analytics/dashboard", headers=user.auth)
    assert dashboard.json()["total_clients"] == 1
    assert dashboard.json()["total_calls"] >= 1
    stats = await user.client.get(f"/api/analytics/client/{client_id}/stats",
                                  headers=user.auth)
    assert stats.json()["total_calls"] == 1 and stats.json()["avg_stt_latency_ms"] == 150.0
    revoked = await user.client.delete(f"/api/api-keys/{key.json()['id']}", headers=user.auth)
    assert revoked.status_code == 200
    refused = await user.client.post("/api/calls", json=body,
                                     headers={"X-API-Key": key.json()["key"]})
    assert refused.status_code == 401
