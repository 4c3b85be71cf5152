"""Pure rules, no servers: request fingerprints, login's timing discipline, settings."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from request_service.application.auth import AuthService, InvalidCredentials
from request_service.application.ports import EmailAlreadyRegistered
from request_service.domain.requests import CallRequest
from request_service.domain.users import User, normalize_email
from request_service.entrypoints.schemas import ProcessRequestBody
from request_service.settings import RequestServiceSettings
from request_service.testing import seed_body
from ringbook.auth import TokenService
from ringbook.clock import FakeClock
from ringbook.contracts.requests import UserProfile

CLOCK = FakeClock(datetime(2025, 11, 24, 9, 0, tzinfo=UTC))


def call_request(**overrides: object) -> CallRequest:
    values: dict[str, object] = {
        "request_id": uuid.UUID(int=1),
        "user_id": uuid.UUID(int=2),
        "title": "Zahnarzttermin",
        "description": "Zahnreinigung",
        "callback_number": "+49305550100",
        "number_to_call": "+49987654321",
        "preferred_time": "Montag",
        "user_profile": UserProfile(city="Berlin"),
    }
    values.update(overrides)
    return CallRequest(**values)  # type: ignore[arg-type]


def test_fingerprint_is_stable_and_sensitive_to_every_field() -> None:
    base = call_request()
    assert base.fingerprint() == call_request().fingerprint()
    for change in [
        {"title": "Zahnarzttermin!"},
        {"description": ""},
        {"number_to_call": "+49987654322"},
        {"user_id": uuid.UUID(int=3)},
        {"request_id": uuid.UUID(int=4)},
        {"user_profile": UserProfile(city="Hamburg")},
    ]:
        assert call_request(**change).fingerprint() != base.fingerprint(), change


def test_the_http_body_normalizes_before_fingerprinting() -> None:
    rid, uid = uuid.uuid4(), uuid.uuid4()
    a = ProcessRequestBody.model_validate(seed_body(rid, uid, title="  Termin  "))
    b = ProcessRequestBody.model_validate(
        seed_body(rid, uid, title="Termin", callback_number="+49 (30) 555-0100")
    )
    assert a.title == "Termin" and a.callback_number == b.callback_number == "+49305550100"
    assert a == b


class MemoryUsers:
    def __init__(self) -> None:
        self.by_mail: dict[str, User] = {}

    async def add(self, user: User) -> None:
        if user.email in self.by_mail:
            raise EmailAlreadyRegistered(user.email)
        self.by_mail[user.email] = user

    async def by_email(self, email: str) -> User | None:
        return self.by_mail.get(email)

    async def by_id(self, user_id: uuid.UUID) -> User | None:
        return next((u for u in self.by_mail.values() if u.id == user_id), None)

    async def set_password_hash(self, user_id: uuid.UUID, password_hash: str, at: datetime) -> None:
        user = await self.by_id(user_id)
        assert user is not None
        self.by_mail[user.email] = User(**{**user.__dict__, "password_hash": password_hash})


class RecordingHasher:
    """Plain-text 'hashes' that record every verify, to check what login spends work on."""

    def __init__(self, version: int = 1) -> None:
        self.version = version
        self.verified: list[str] = []

    async def hash(self, password: str) -> str:
        return f"v{self.version}:{password}"

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(password_hash)
        return password_hash.split(":", 1)[1] == password

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith(f"v{self.version}:")


def auth_service(hasher: RecordingHasher, users: MemoryUsers) -> AuthService:
    tokens = TokenService("s" * 40, ttl=timedelta(hours=24), clock=CLOCK)
    return AuthService(users=users, hasher=hasher, tokens=tokens, clock=CLOCK)


async def test_login_spends_a_verify_on_unknown_addresses_too() -> None:
    hasher, users = RecordingHasher(), MemoryUsers()
    auth = auth_service(hasher, users)
    await auth.prepare()
    await auth.register(email="Max@Example.com", password="password123", name="Max")
    hasher.verified.clear()

    with pytest.raises(InvalidCredentials):
        await auth.login(email="nobody@example.com", password="password123")
    with pytest.raises(InvalidCredentials):
        await auth.login(email="max@example.com", password="wrong")
    # One verify each: the unknown address against the dummy hash, so both cost the same.
    assert len(hasher.verified) == 2
    assert hasher.verified[0] != users.by_mail["max@example.com"].password_hash

    session = await auth.login(email=" MAX@example.com ", password="password123")
    assert session.user.email == "max@example.com"


async def test_login_upgrades_an_outdated_hash() -> None:
    users = MemoryUsers()
    await auth_service(RecordingHasher(1), users).register(
        email="a@example.com", password="password123", name="A"
    )
    await auth_service(RecordingHasher(2), users).login(
        email="a@example.com", password="password123"
    )
    assert users.by_mail["a@example.com"].password_hash == "v2:password123"


def test_email_normalization() -> None:
    assert normalize_email("  Max.Muster@Example.COM ") == "max.muster@example.com"


def test_cors_origins_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "development")
    assert RequestServiceSettings().cors_origins == ["http://localhost:3000"]
    monkeypatch.setenv("CORS_ORIGINS", "https://app.example, https://admin.example")
    assert RequestServiceSettings().cors_origins == ["https://app.example", "https://admin.example"]
    monkeypatch.setenv("CORS_ORIGINS", '["https://one.example"]')
    assert RequestServiceSettings().cors_origins == ["https://one.example"]
    settings = RequestServiceSettings()
    assert settings.service_name == "request-service" and settings.http_port == 8000
    assert settings.schema_name == "request_service"
