"""``POST /token`` (seed 001's login) answers exactly as ``POST /api/auth/login``."""

from __future__ import annotations

from fastapi.routing import APIRoute
from request_service.entrypoints import auth_routes
from request_service.testing import Api


async def test_token_signs_in_like_login(api: Api) -> None:
    user = await api.register("seed001@example.com", password="password123")
    body = {"email": "SEED001@example.com", "password": "password123"}
    token = await api.client.post("/token", json=body)
    login = await api.client.post("/api/auth/login", json=body)
    assert token.status_code == login.status_code == 200
    assert set(token.json()) == {"token", "user"}
    assert token.json()["user"] == login.json()["user"] == {
        "id": str(user.id), "email": "seed001@example.com", "name": "Max"}
    principal = api.runtime.tokens.verify(token.json()["token"])
    assert principal.user_id == user.id and principal.tenant_id == user.tenant_id
    me = await api.client.get("/api/auth/me",
                              headers={"Authorization": f"Bearer {token.json()['token']}"})
    assert me.status_code == 200


async def test_token_refuses_like_login(api: Api) -> None:
    await api.register("seed001-refused@example.com", password="password123")
    cases = [
        {"email": "seed001-refused@example.com", "password": "wrong-password"},
        {"email": "nobody@example.com", "password": "password123"},
        {"email": "seed001-refused@example.com"},
        {"username": "seed001-refused@example.com", "password": "password123"},
    ]
    for body in cases:
        token = await api.client.post("/token", json=body)
        login = await api.client.post("/api/auth/login", json=body)
        assert token.status_code == login.status_code, body
        assert token.status_code in (401, 422), body
        assert token.json() == login.json(), body
    wrong = await api.client.post("/token", json=cases[0])
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "Invalid email or password"}
    not_json = await api.client.post("/token", content=b"email=a&password=b",
                                     headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400


def test_token_is_the_login_handler_itself_not_a_copy() -> None:
    [route] = [r for r in auth_routes.token_router.routes
               if isinstance(r, APIRoute) and r.path == "/token"]
    assert route.endpoint is auth_routes.login
    assert route.methods == {"POST"}
