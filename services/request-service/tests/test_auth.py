"""Seed 002's auth against real Postgres: register, login, me, refresh, and the ways
each one refuses."""

from __future__ import annotations

import uuid
from datetime import timedelta

from request_service.adapters.passwords import Argon2PasswordHasher
from request_service.testing import Api
from ringbook.auth import Principal, TokenService
from ringbook.clock import FakeClock


async def test_register_returns_a_token_and_the_user(api: Api) -> None:
    response = await api.client.post(
        "/api/auth/register",
        json={"email": "Max@Example.com", "password": "password123", "name": "Max Mustermann"},
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "user"}
    assert set(body["user"]) == {"id", "email", "name"}
    assert body["user"]["email"] == "max@example.com"
    assert body["user"]["name"] == "Max Mustermann"
    principal = api.runtime.tokens.verify(body["token"])
    assert principal.user_id == uuid.UUID(body["user"]["id"])
    # Each person is their own tenant, distinct from their user id.
    assert principal.tenant_id != principal.user_id
    stored = await api.runtime.pool.fetchval("select password_hash from users")
    assert stored.startswith("$argon2id$") and "password123" not in stored


async def test_duplicate_email_is_409_whatever_its_case(api: Api) -> None:
    await api.register("dup@example.com")
    response = await api.client.post(
        "/api/auth/register",
        json={"email": "DUP@example.COM", "password": "another-pass", "name": "Other"},
    )
    assert response.status_code == 409
    assert response.json() == {"error": "Email already registered"}
    assert await api.count("users") == 1


async def test_register_validates_its_body(api: Api) -> None:
    cases = [
        {"email": "not-an-email", "password": "password123", "name": "X"},
        {"email": "a@example.com", "password": "short", "name": "X"},
        {"email": "a@example.com", "password": "password123", "name": ""},
        {"email": "a@example.com", "password": "password123"},
        {"email": "a@example.com", "password": "p" * 257, "name": "X"},
    ]
    for body in cases:
        response = await api.client.post("/api/auth/register", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"] == "Invalid request"
    assert await api.count("users") == 0


async def test_login_me_and_refresh(api: Api, clock: FakeClock) -> None:
    user = await api.register("login@example.com", password="password123")
    response = await api.client.post(
        "/api/auth/login", json={"email": "LOGIN@example.com", "password": "password123"}
    )
    assert response.status_code == 200
    login = response.json()
    assert login["user"] == {"id": str(user.id), "email": "login@example.com", "name": "Max"}
    headers = {"Authorization": f"Bearer {login['token']}"}

    me = await api.client.get("/api/auth/me", headers=headers)
    assert me.status_code == 200
    assert me.json() == {
        "user": {
            "id": str(user.id),
            "email": "login@example.com",
            "name": "Max",
            "created_at": "2025-11-24T09:00:00+00:00",
        }
    }

    clock.advance(timedelta(hours=23))
    refreshed = await api.client.post("/api/auth/refresh", headers=headers)
    assert refreshed.status_code == 200
    assert refreshed.json()["user"]["id"] == str(user.id)
    new_token = refreshed.json()["token"]
    assert new_token != login["token"]

    # Two more hours: the old token (24 h) has expired, the refreshed one has not.
    clock.advance(timedelta(hours=2))
    expired = await api.client.get("/api/auth/me", headers=headers)
    assert expired.status_code == 401
    assert expired.json() == {"error": "Invalid or expired token"}
    fresh = await api.client.get("/api/auth/me", headers={"Authorization": f"Bearer {new_token}"})
    assert fresh.status_code == 200


async def test_wrong_password_and_unknown_email_answer_the_same_401(api: Api) -> None:
    await api.register("known@example.com", password="password123")
    for email, password in [
        ("known@example.com", "wrong-password"),
        ("unknown@example.com", "password123"),
        ("not even an email", "password123"),
    ]:
        response = await api.client.post(
            "/api/auth/login", json={"email": email, "password": password}
        )
        assert response.status_code == 401
        assert response.json() == {"error": "Invalid email or password"}


async def test_tokens_signed_with_another_secret_or_garbage_are_refused(
    api: Api, clock: FakeClock
) -> None:
    user = await api.register()
    forged = TokenService("x" * 48, ttl=timedelta(hours=24), clock=clock).issue(
        Principal(user_id=user.id, tenant_id=user.tenant_id, email=user.email, name="Max")
    )
    for headers in [
        {"Authorization": f"Bearer {forged}"},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": f"Basic {user.token}"},
        {},
    ]:
        for method, path in [("GET", "/api/auth/me"), ("POST", "/api/auth/refresh")]:
            response = await api.client.request(method, path, headers=headers)
            assert response.status_code == 401, (headers, path)
            assert "error" in response.json()


async def test_login_rehashes_a_password_hashed_with_weaker_parameters(api: Api) -> None:
    await api.register("rehash@example.com", password="password123")
    before = await api.runtime.pool.fetchval("select password_hash from users")
    assert "t=1" in before
    # The operator raised the cost since this user registered.
    api.app.state.gateway.auth.hasher = Argon2PasswordHasher(
        time_cost=2, memory_kib=1024, parallelism=1
    )
    response = await api.client.post(
        "/api/auth/login", json={"email": "rehash@example.com", "password": "password123"}
    )
    assert response.status_code == 200
    after = await api.runtime.pool.fetchval("select password_hash from users")
    assert after != before and "t=2" in after
    again = await api.client.post(
        "/api/auth/login", json={"email": "rehash@example.com", "password": "password123"}
    )
    assert again.status_code == 200
    assert await api.runtime.pool.fetchval("select password_hash from users") == after
