"""Reading and canceling requests: tenant isolation, pagination, the cancel rules."""

from __future__ import annotations

import uuid
from datetime import timedelta

from request_service.testing import Api, Bus
from ringbook.clock import FakeClock
from ringbook.contracts.requests import RequestCanceled
from ringbook_devtools.testing.waiting import eventually


async def test_get_request_shows_fields_and_timeline(api: Api) -> None:
    user = await api.register()
    request_id = await api.new_request(user)
    body = await api.get(user, request_id)
    assert body == {
        "request_id": str(request_id),
        "status": "queued",
        "title": "Zahnarzttermin buchen",
        "description": "Ich brauche einen Termin für eine Zahnreinigung",
        "number_to_call": "+49987654321",
        "callback_number": "+49305550100",
        "preferred_time": "nächste Woche, Montag 10-12 Uhr",
        "summary": None,
        "created_at": "2025-11-24T09:00:00+00:00",
        "updated_at": "2025-11-24T09:00:00+00:00",
        "timeline": [
            {
                "type": "request_received",
                "message": "Request received: Zahnarzttermin buchen",
                "created_at": "2025-11-24T09:00:00+00:00",
            }
        ],
    }


async def test_another_users_unknown_or_malformed_id_is_404(api: Api) -> None:
    owner, other = await api.register(), await api.register()
    request_id = await api.new_request(owner)
    for path in [
        f"/api/requests/{request_id}",
        f"/api/requests/{uuid.uuid4()}",
        "/api/requests/not-a-uuid",
        f"/api/requests/{request_id}/stream",
    ]:
        response = await api.client.get(path, headers=other.headers)
        assert response.status_code == 404, path
        assert response.json() == {"error": "Request not found"}
    cancel = await api.client.post(f"/api/requests/{request_id}/cancel", headers=other.headers)
    assert cancel.status_code == 404
    assert (await api.get(owner, request_id))["status"] == "queued"
    listed = await api.client.get("/api/requests", headers=other.headers)
    assert listed.json()["requests"] == [] and listed.json()["total"] == 0


async def test_reads_need_a_token(api: Api) -> None:
    for path in ["/api/requests", f"/api/requests/{uuid.uuid4()}"]:
        response = await api.client.get(path)
        assert response.status_code == 401
        assert "error" in response.json()


async def test_list_is_newest_first_paginated_and_filterable(api: Api, clock: FakeClock) -> None:
    user = await api.register()
    ids = []
    for i in range(5):
        ids.append(await api.new_request(user, title=f"request {i}"))
        clock.advance(timedelta(minutes=1))
    await api.client.post(f"/api/requests/{ids[1]}/cancel", headers=user.headers)

    first = (await api.client.get("/api/requests?limit=2", headers=user.headers)).json()
    assert first["total"] == 5 and first["limit"] == 2 and first["offset"] == 0
    assert [r["request_id"] for r in first["requests"]] == [str(ids[4]), str(ids[3])]
    assert "timeline" not in first["requests"][0]

    last = (await api.client.get("/api/requests?limit=2&offset=4", headers=user.headers)).json()
    assert [r["request_id"] for r in last["requests"]] == [str(ids[0])]

    canceled = (await api.client.get("/api/requests?status=canceled", headers=user.headers)).json()
    assert canceled["total"] == 1 and canceled["requests"][0]["request_id"] == str(ids[1])

    for query in ["limit=0", "limit=101", "offset=-1", "status=bogus"]:
        response = await api.client.get(f"/api/requests?{query}", headers=user.headers)
        assert response.status_code == 422, query
        assert set(response.json()) == {"error", "details"}


async def test_cancel_then_cancel_again(api: Api, bus: Bus) -> None:
    user = await api.register()
    request_id = await api.new_request(user)
    response = await api.client.post(
        f"/api/requests/{request_id}/cancel", json={"reason": "found another slot"},
        headers=user.headers,
    )
    assert response.status_code == 202
    assert response.json() == {
        "status": "accepted",
        "request_id": str(request_id),
        "message": "Request is being canceled",
        "request_status": "canceled",
    }
    stored = await api.get(user, request_id)
    assert stored["status"] == "canceled"
    assert [e["type"] for e in stored["timeline"]] == ["request_received", "request_canceled"]
    assert stored["timeline"][1]["message"] == "Request canceled by the user: found another slot"

    again = await api.client.post(f"/api/requests/{request_id}/cancel", headers=user.headers)
    assert again.status_code == 409
    assert again.json() == {"error": "Request is already canceled and cannot be canceled"}

    await eventually(api.outbox_drained, what="outbox drained")
    events = await bus.stream_events("REQUESTS")
    assert [(e.type, e.version) for e in events] == [("request_received", 1), ("request_canceled", 2)]
    assert isinstance(events[1].data, RequestCanceled)
    assert events[1].tenant_id == user.tenant_id and events[1].correlation_id == request_id


async def test_cancel_validates_its_optional_body(api: Api) -> None:
    user = await api.register()
    request_id = await api.new_request(user)
    response = await api.client.post(
        f"/api/requests/{request_id}/cancel", json={"reason": "x" * 501}, headers=user.headers
    )
    assert response.status_code == 422
    assert (await api.get(user, request_id))["status"] == "queued"


async def test_platform_endpoints_and_cors(api: Api) -> None:
    assert (await api.client.get("/health")).json()["service"] == "request-service"
    ready = await api.client.get("/ready")
    assert ready.status_code == 200, ready.text
    assert "/api/process-request" in (await api.client.get("/openapi.json")).json()["paths"]
    preflight = await api.client.options(
        "/api/process-request",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
    refused = await api.client.options(
        "/api/process-request",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in refused.headers
