"""POST /api/process-request (seed 000) against real Postgres and a real nats-server:
accepted requests reach the REQUESTS stream exactly once, bad ones store nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import orjson
import pytest
from request_service.adapters.pg_requests import PgUnitOfWork
from request_service.testing import Api, Bus, User, seed_body
from ringbook.contracts.requests import RequestReceived


async def nothing_stored(api: Api) -> None:
    for table in ("events", "outbox", "requests", "request_timeline"):
        assert await api.count(table) == 0, table


def assert_seed_error(body: dict[str, Any], request_id: str | None, *fragments: str) -> None:
    assert set(body) == {"status", "request_id", "error"}
    assert body["status"] == "error"
    assert body["request_id"] == request_id
    for fragment in fragments:
        assert fragment in body["error"], body["error"]


async def test_accepted_request_is_committed_and_published_once(api: Api, bus: Bus) -> None:
    user = await api.register()
    request_id = uuid.uuid4()
    response = await api.submit(user, seed_body(request_id, user.id))
    assert response.status_code == 202
    assert response.json() == {
        "status": "accepted",
        "request_id": str(request_id),
        "message": "Request is being processed",
    }
    await api.outbox_drained()
    [event] = await bus.stream_events("REQUESTS")
    assert event.type == "request_received" and event.aggregate == "request"
    assert event.aggregate_id == request_id and event.version == 1
    assert event.correlation_id == request_id
    assert event.tenant_id == user.tenant_id
    assert event.subject == f"ringbook.requests.request.{request_id}.request_received"
    assert isinstance(event.data, RequestReceived)
    assert event.data.user_id == user.id
    # Phone numbers travel in E.164 whatever the user typed.
    assert event.data.callback_number == "+49305550100"
    assert event.data.number_to_call == "+49987654321"
    assert event.data.user_profile.city == "Berlin"

    stored = await api.get(user, request_id)
    assert stored["status"] == "queued"
    assert [e["type"] for e in stored["timeline"]] == ["request_received"]


async def test_the_same_body_again_is_202_without_a_second_event(api: Api, bus: Bus) -> None:
    user = await api.register()
    request_id = uuid.uuid4()
    body = seed_body(request_id, user.id)
    assert (await api.submit(user, body)).status_code == 202
    # A retry may spell the numbers differently and use another UUID spelling.
    retry = {
        **body,
        "request_id": str(request_id).upper(),
        "callback_number": "+49 (30) 555-0100",
        "number_to_call": "+49987654321",
    }
    again = await api.submit(user, retry)
    assert again.status_code == 202
    assert again.json()["request_id"] == str(request_id)
    await api.outbox_drained()
    assert len(await bus.stream_events("REQUESTS")) == 1
    assert await api.count("events") == 1
    assert await api.count("request_timeline") == 1


async def test_the_same_id_with_a_different_body_is_409(api: Api) -> None:
    user = await api.register()
    request_id = uuid.uuid4()
    assert (await api.submit(user, seed_body(request_id, user.id))).status_code == 202
    response = await api.submit(user, seed_body(request_id, user.id, title="Something else"))
    assert response.status_code == 409
    assert_seed_error(response.json(), str(request_id), "request_id", "different request")
    stored = await api.get(user, request_id)
    assert stored["title"] == "Zahnarzttermin buchen"
    assert await api.count("events") == 1


async def test_another_user_reusing_a_request_id_gets_409(api: Api) -> None:
    owner, other = await api.register(), await api.register()
    request_id = uuid.uuid4()
    assert (await api.submit(owner, seed_body(request_id, owner.id))).status_code == 202
    response = await api.submit(other, seed_body(request_id, other.id))
    assert response.status_code == 409
    assert await api.count("events") == 1


async def test_concurrent_duplicates_store_one_request(api: Api, bus: Bus) -> None:
    user = await api.register()
    request_id = uuid.uuid4()
    body = seed_body(request_id, user.id)
    same = await asyncio.gather(*(api.submit(user, body) for _ in range(8)))
    assert [r.status_code for r in same] == [202] * 8

    other_id = uuid.uuid4()
    bodies = [seed_body(other_id, user.id, title=f"variant {i}") for i in range(6)]
    racing = await asyncio.gather(*(api.submit(user, b) for b in bodies))
    assert sorted(r.status_code for r in racing) == [202] + [409] * 5

    await api.outbox_drained()
    events = await bus.stream_events("REQUESTS")
    assert sorted(str(e.aggregate_id) for e in events) == sorted([str(request_id), str(other_id)])


async def test_user_id_of_someone_else_is_403(api: Api) -> None:
    user = await api.register()
    request_id = uuid.uuid4()
    response = await api.submit(user, seed_body(request_id, uuid.uuid4()))
    assert response.status_code == 403
    assert_seed_error(response.json(), str(request_id), "user_id")
    await nothing_stored(api)


async def test_missing_or_invalid_token_is_401_with_the_seed_body(api: Api) -> None:
    request_id = uuid.uuid4()
    body = seed_body(request_id, uuid.uuid4())
    for headers in [{}, {"Authorization": "Bearer nonsense"}]:
        response = await api.client.post("/api/process-request", json=body, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert_seed_error(response.json(), str(request_id))
    await nothing_stored(api)


def _without(body: dict[str, Any], field: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != field}


BAD_BODIES: list[tuple[str, Any, int, bool, tuple[str, ...]]] = [
    # (case, body or transform, status, request_id readable, error fragments)
    ("missing title", lambda b: _without(b, "title"), 422, True, ("title: is required",)),
    ("missing number_to_call", lambda b: _without(b, "number_to_call"), 422, True,
     ("number_to_call: is required",)),
    ("null number_to_call", lambda b: {**b, "number_to_call": None}, 422, True,
     ("number_to_call",)),
    ("title not a string", lambda b: {**b, "title": 123}, 422, True, ("title: must be a string",)),
    ("profile not an object", lambda b: {**b, "user_profile": "Berlin"}, 422, True,
     ("user_profile: must be a JSON object",)),
    ("request_id not a UUID", lambda b: {**b, "request_id": "test-uuid"}, 422, False,
     ("request_id: must be a UUID",)),
    ("user_id not a UUID", lambda b: {**b, "user_id": "user-uuid"}, 422, True,
     ("user_id: must be a UUID",)),
    ("seed's callback number", lambda b: {**b, "callback_number": "+49 123 456789"}, 422, True,
     ("callback_number", "'+49 123 456789' is not a valid phone number for region DE (+49)")),
    ("national number", lambda b: {**b, "number_to_call": "030 5550100"}, 422, True,
     ("number_to_call", "missing country code")),
    ("title too long", lambda b: {**b, "title": "x" * 201}, 422, True,
     ("title: is longer than 200 characters",)),
    ("description too long", lambda b: {**b, "description": "x" * 4001}, 422, True,
     ("description: is longer than 4000 characters",)),
    ("profile city too long", lambda b: {**b, "user_profile": {"city": "x" * 201}}, 422, True,
     ("user_profile.city",)),
    ("blank title", lambda b: {**b, "title": "   "}, 422, True, ("title: must not be empty",)),
    ("unknown field", lambda b: {**b, "priority": "high"}, 422, True,
     ("priority: is not an accepted field",)),
    ("array body", lambda b: [b], 422, False, ("must be a JSON object",)),
]


@pytest.mark.parametrize(
    ("transform", "status", "readable", "fragments"),
    [case[1:] for case in BAD_BODIES],
    ids=[case[0] for case in BAD_BODIES],
)
async def test_bad_bodies_are_4xx_with_the_seed_body_and_store_nothing(
    api: Api, transform: Any, status: int, readable: bool, fragments: tuple[str, ...]
) -> None:
    user = await api.register()
    request_id = uuid.uuid4()
    response = await api.submit(user, transform(seed_body(request_id, user.id)))
    assert response.status_code == status, response.text
    assert_seed_error(response.json(), str(request_id) if readable else None, *fragments)
    await nothing_stored(api)


async def _post_raw(
    api: Api, user: User, content: bytes | AsyncIterator[bytes], content_type: str | None
) -> tuple[int, dict[str, Any]]:
    headers = dict(user.headers)
    if content_type:
        headers["Content-Type"] = content_type
    response = await api.client.post("/api/process-request", content=content, headers=headers)
    return response.status_code, response.json()


async def test_malformed_json_empty_and_non_json_bodies(api: Api) -> None:
    user = await api.register()
    request_id = uuid.uuid4()
    status, body = await _post_raw(
        api, user, f'{{"request_id": "{request_id}", "title": '.encode(), "application/json"
    )
    assert status == 400
    assert_seed_error(body, None, "body: is not valid JSON")

    status, body = await _post_raw(api, user, b"", "application/json")
    assert status == 400
    assert_seed_error(body, None, "body: is empty")

    form = orjson.dumps(seed_body(request_id, user.id))
    status, body = await _post_raw(api, user, form, "text/plain")
    assert status == 415
    assert_seed_error(body, str(request_id), "application/json")
    await nothing_stored(api)


async def test_huge_bodies_are_413_with_the_seed_body(api: Api) -> None:
    user = await api.register()
    limit = api.runtime.settings.max_body_bytes
    huge = orjson.dumps(seed_body(uuid.uuid4(), user.id, description="x" * (limit + 1)))
    status, body = await _post_raw(api, user, huge, "application/json")
    assert status == 413
    assert_seed_error(body, None, "too large")

    async def chunked() -> AsyncIterator[bytes]:
        # No Content-Length: the limit must also hold for a streamed body.
        for start in range(0, len(huge), 8192):
            yield huge[start : start + 8192]

    status, body = await _post_raw(api, user, chunked(), "application/json")
    assert status == 413
    assert_seed_error(body, None, "too large")
    await nothing_stored(api)


def _with_raw_string(body: dict[str, Any], field: str, escaped: str) -> bytes:
    """The body as JSON with ``field`` set to ``escaped``, a JSON string literal's inside
    (``\\u0000``, ``\\ud800``): what a client can send and pydantic lets through."""
    placeholder = "<<probe>>"
    return orjson.dumps({**body, field: placeholder}).replace(
        placeholder.encode(), escaped.encode())


@pytest.mark.parametrize("escaped, problem", [
    ("Zahn\\u0000arzt", "NUL"), ("Zahn\\ud800arzt", "surrogate"), ("\\udc00", "surrogate"),
])
async def test_nul_and_lone_surrogates_are_422_with_the_seed_body_and_store_nothing(
    api: Api, escaped: str, problem: str
) -> None:
    user = await api.register()
    request_id = uuid.uuid4()
    for field in ("title", "description", "preferred_time"):
        raw = _with_raw_string(seed_body(request_id, user.id), field, escaped)
        status, body = await _post_raw(api, user, raw, "application/json")
        assert status == 422, body
        assert_seed_error(body, str(request_id), f"{field}: ", problem)
    profile = orjson.dumps(seed_body(request_id, user.id)).replace(
        b'"Berlin"', f'"Ber{escaped}lin"'.encode())
    status, body = await _post_raw(api, user, profile, "application/json")
    assert status == 422
    assert_seed_error(body, str(request_id), "user_profile.city: ", problem)
    await nothing_stored(api)


async def test_bodies_the_parser_cannot_take_are_4xx_with_the_seed_body(api: Api) -> None:
    user = await api.register()
    request_id = uuid.uuid4()
    good = orjson.dumps(seed_body(request_id, user.id))
    huge_int = good.replace(b'"Berlin"', b"9" * 5000)
    deep = b"[" * 5000 + b"]" * 5000
    not_utf8 = good.replace(b"Berlin", b"Berl\xffin")
    for raw in (huge_int, deep, not_utf8):
        status, body = await _post_raw(api, user, raw, "application/json")
        assert 400 <= status < 500, body
        assert set(body) == {"status", "request_id", "error"} and body["status"] == "error"
    status, body = await _post_raw(api, user, huge_int, "application/json")
    assert status == 422 and body["request_id"] == str(request_id), body
    await nothing_stored(api)


async def test_headers_too_large_are_431_with_the_seed_body(api: Api) -> None:
    user = await api.register()
    response = await api.client.post(
        "/api/process-request", json=seed_body(uuid.uuid4(), user.id),
        headers={**user.headers, "X-Padding": "a" * 32 * 1024})
    assert response.status_code == 431
    assert_seed_error(response.json(), None, "headers")
    await nothing_stored(api)


async def test_other_endpoints_keep_the_platform_error_body(api: Api) -> None:
    response = await api.client.post("/api/auth/login", content=b"{oops", headers={
        "Content-Type": "application/json"})
    assert response.status_code == 400
    assert set(response.json()) == {"error", "details"}


async def test_postgres_unreachable_is_503_and_nothing_is_published(api: Api, bus: Bus) -> None:
    user = await api.register()
    # A pool whose server refuses connections: what the gateway sees when Postgres is down.
    dead = await asyncpg.create_pool("postgresql://nobody@127.0.0.1:1/none", min_size=0)
    gateway = api.app.state.gateway
    healthy, gateway.uow = gateway.uow, PgUnitOfWork(dead)
    try:
        request_id = uuid.uuid4()
        response = await api.submit(user, seed_body(request_id, user.id))
        assert response.status_code == 503
        assert response.headers["retry-after"] == "2"
        assert_seed_error(response.json(), str(request_id), "unavailable")
    finally:
        gateway.uow = healthy
        await dead.close()
    await asyncio.sleep(0.5)
    assert await bus.stream_events("REQUESTS") == []
    await nothing_stored(api)
    # Postgres back: the client's retry is accepted.
    assert (await api.submit(user, seed_body(request_id, user.id))).status_code == 202
