"""The world the hostile-input probes run in: the system, a signed-in user with one
request, every service's OpenAPI, and a valid JSON body for each operation taking one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from ringbook_devtools.system import SERVICES, LocalSystem

from tests.e2e.hostile_input import Answer, BodyFactory, Operation, operations, send
from tests.e2e.support import ANSWERS

INTERNAL_TOKEN = "fuzz-internal-token-for-the-e2e-suite"
TWILIO_AUTH_TOKEN = "fuzz-twilio-auth-token"
SEED_PATH = "/api/process-request"
PASSWORD = "password123"

@dataclass
class World:
    """The running system, a signed-in user and one request of theirs, so probes of
    an id-taking endpoint get past "not found" to the code that reads their input."""

    system: LocalSystem
    client: httpx.Client
    token: str
    user_id: str
    email: str
    request_id: str
    specs: dict[str, dict[str, Any]]

    def url(self, service: str) -> str:
        return self.system.url(service)

    def auth(self, path: str) -> dict[str, str]:
        token = INTERNAL_TOKEN if path.startswith("/internal/") else self.token
        return {"Authorization": f"Bearer {token}"}

    def seed_body(self) -> dict[str, Any]:
        return {
            "request_id": str(uuid.uuid4()), "user_id": self.user_id,
            "title": "Zahnarzttermin buchen", "description": "Zahnreinigung",
            "callback_number": "+49 170 1234567", "number_to_call": ANSWERS,
            "preferred_time": "Montag 10-12 Uhr",
            "user_profile": {"username": "Max", "street": "Musterstraße", "house_number": "1",
                             "postal_code": "10115", "city": "Berlin", "country": "Germany"},
        }

    def bodies(self) -> dict[tuple[str, str], BodyFactory]:
        """A valid JSON body for every operation that takes one."""
        return {
            ("POST", "/api/auth/register"): lambda: {
                "email": f"fuzz-{uuid.uuid4().hex[:10]}@example.com", "password": PASSWORD,
                "name": "Max Mustermann"},
            ("POST", "/api/auth/login"): lambda: {"email": self.email, "password": PASSWORD},
            ("POST", "/token"): lambda: {"email": self.email, "password": PASSWORD},
            ("POST", SEED_PATH): self.seed_body,
            ("POST", "/api/requests/{request_id}/cancel"): lambda: {"reason": "changed plans"},
            **catalog_bodies(),
            **analytics_bodies(),
        }

    def path_values(self) -> dict[str, str]:
        return {"request_id": self.request_id, "number_e164": "+49305550100",
                "call_sid": "CA" + "0" * 32, **CATALOG_PATH_VALUES}

    def operations(self) -> list[Operation]:
        return [op for service, spec in self.specs.items() for op in operations(service, spec)]

    def target(self, op: Operation, **overrides: str) -> str:
        values = {**self.path_values(), **overrides}
        path = op.path
        for name in op.path_params:
            path = path.replace("{" + name + "}", values[name])
        return path


# catalog-service's ids name nothing of the fuzzing user's: its probes test input handling
# (validation runs before the lookup), not the resources.
CATALOG_PATH_VALUES = {name: str(uuid.uuid4()) for name in
                       ("assistant_id", "tool_id", "file_id", "number_id", "client_id")}
# analytics-service's likewise: a call and an API key of nobody's.
CATALOG_PATH_VALUES.update({name: str(uuid.uuid4()) for name in ("call_id", "key_id")})
CATALOG_PATH_VALUES["number"] = "+49305550100"
CATALOG_PATH_VALUES["booking_date"] = "2030-01-07"
CATALOG_PATH_VALUES["reference"] = "SPA-000001"
CATALOG_PATH_VALUES["lead_id"] = str(uuid.uuid4())


def catalog_bodies() -> dict[tuple[str, str], BodyFactory]:
    assistant = {"name": "Kundenservice Bot", "language": "de-DE", "temperature": 0.7}
    tool = {"name": "kalender_api", "endpoint": "https://api.calendar.com/v1/events",
            "headers": {"X-Api-Key": "k"}, "authentication": {"type": "bearer", "token": "t"}}
    hours = {"weekly_hours": "mon-fri 08:00-18:00", "timezone": "Europe/Berlin"}
    client = {"name": "Dr. Mike's Dental", "phone_number": "+1 212 555 0100",
              "profession": "dentist", "voice_name": "af_sarah"}
    slots = {"timezone": "Europe/Rome",
             "weekly": [{"weekday": 0, "start": "10:00", "end": "12:00", "capacity": 14}]}
    file_link = {"file_id": CATALOG_PATH_VALUES["file_id"], "settings": {"priority": 1}}
    return {
        ("POST", "/api/assistants/"): lambda: dict(assistant),
        ("PUT", "/api/assistants/{assistant_id}"): lambda: dict(assistant),
        ("POST", "/api/assistants/{assistant_id}/tools"): lambda: {
            "tool_ids": [CATALOG_PATH_VALUES["tool_id"]]},
        ("POST", "/api/assistants/{assistant_id}/files"): lambda: dict(file_link),
        ("PUT", "/api/assistants/{assistant_id}/files"): lambda: dict(file_link),
        ("POST", "/api/tools/"): lambda: dict(tool),
        ("PUT", "/api/tools/{tool_id}"): lambda: dict(tool),
        ("PUT", "/api/files/{file_id}"): lambda: {"filename": "info.txt", "description": "d"},
        ("POST", "/api/phone-numbers/"): lambda: {"phone_number": "+49 30 5550199",
                                                  "friendly_name": "Praxis"},
        ("PUT", "/api/phone-numbers/{number_id}"): lambda: {"friendly_name": "Praxis"},
        ("PUT", "/api/phone-numbers/{number_id}/business-hours"): lambda: dict(hours),
        ("PUT", "/api/business-hours/{number}"): lambda: dict(hours),
        ("POST", "/api/clients"): lambda: dict(client),
        ("PUT", "/api/clients/{client_id}"): lambda: dict(client),
        ("PUT", "/api/clients/{client_id}/slots"): lambda: dict(slots),
        ("PUT", "/api/phone-numbers/{number_id}/slots"): lambda: dict(slots),
        ("POST", "/import/leads"): lambda: {
            "csv": "Name;E-Mail;Status\nLea Kramer;lea@example.com;offen\n"},
        ("PATCH", "/api/leads/{lead_id}"): lambda: {"status": "offen", "notes": "n"},
        ("POST", "/ai"): lambda: {"action": "generate_message", "data": {
            "messages": [{"role": "user", "content": "Schreib ein Follow-up"}],
            "lead": {"name": "Lea Kramer", "channel": "WhatsApp"}}},
    }


def analytics_bodies() -> dict[tuple[str, str], BodyFactory]:
    """Seed 002's logged call (its X-API-Key missing: the probes test input handling up
    to the key check, and the key's refusal) and a new key's name."""
    logged = {"client_id": CATALOG_PATH_VALUES["client_id"], "caller_phone": "+1-555-0200",
              "caller_name": "John Smith", "duration_seconds": 45.5, "stt_latency_ms": 150,
              "llm_latency_ms": 300, "tts_latency_ms": 200, "transcript": "Customer: Hello",
              "sentiment": "POSITIVE", "success": True,
              "recording_url": "https://storage.example.com/call-123.wav", "notes": "n"}
    return {
        ("POST", "/api/calls"): lambda: dict(logged),
        ("POST", "/api/api-keys"): lambda: {"name": "fuzz agent"},
    }


@contextmanager
def signed_in_world(system: LocalSystem) -> Iterator[World]:
    with httpx.Client(base_url=system.gateway, timeout=15) as client:
        email = f"fuzz-{uuid.uuid4().hex[:10]}@example.com"
        session = client.post("/api/auth/register",
                              json={"email": email, "password": PASSWORD, "name": "Max"})
        assert session.status_code == 201, session.text
        token, user_id = session.json()["token"], session.json()["user"]["id"]
        specs = {name: client.get(f"{system.url(name)}/openapi.json").json() for name in SERVICES}
        world = World(system, client, token, user_id, email, "", specs)
        body = world.seed_body()
        accepted = client.post(SEED_PATH, json=body, headers=world.auth(SEED_PATH))
        assert accepted.status_code == 202, accepted.text
        world.request_id = body["request_id"]
        yield world


def probe(world: World, op: Operation, *, target: str | None = None,
          content: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
    headers = {**world.auth(op.path), **(headers or {})}
    if content is not None:
        headers.setdefault("Content-Type", "application/json")
    # A stream that opened would never end: these probes only need its status.
    timeout = httpx.Timeout(15, read=3) if op.path.endswith("/stream") else None
    with httpx.Client(timeout=timeout or 15) as client:  # own connection per probe
        return send(client, op.method, world.url(op.service) + (target or world.target(op)),
                    content=content, headers=headers)


def is_seed(op: Operation) -> bool:
    return op.service == "request-service" and op.path == SEED_PATH


def stored_requests(world: World) -> int:
    page = world.client.get("/api/requests", headers=world.auth("/api/requests"))
    assert page.status_code == 200, page.text
    total: int = page.json()["total"]
    return total
