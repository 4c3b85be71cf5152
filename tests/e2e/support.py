"""All five services as real processes, with embedded NATS and Postgres and the
simulated carrier, driven through the gateway like a frontend would."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from ringbook_devtools.system import LocalSystem

ANSWERS, BUSY, NO_ANSWER = "+49 30 5550100", "+49 30 5550101", "+49 30 5550102"


def start_system(**env: str) -> LocalSystem:
    root = Path(tempfile.mkdtemp(prefix="ringbook-e2e-"))
    system = LocalSystem(root=root, env=dict(env), random_ports=True, durable=False)
    try:
        return system.start()
    except Exception:
        dump_logs(system)
        system.stop()
        raise


def dump_logs(system: LocalSystem) -> None:
    for log in sorted((system.root / "logs").glob("*.log")):
        print(f"==== {log.name}\n{log.read_text(errors='replace')[-4000:]}")


@dataclass
class User:
    client: httpx.AsyncClient
    id: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def request_body(self, number: str, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "request_id": str(uuid.uuid4()),
            "user_id": self.id,
            "title": "Zahnarzttermin buchen",
            "description": "Ich brauche einen Termin für eine Zahnreinigung",
            "callback_number": "+49 170 1234567",
            "number_to_call": number,
            "preferred_time": "nächste Woche, Montag 10-12 Uhr",
            "user_profile": {"username": "Max Mustermann", "street": "Musterstraße",
                             "house_number": "123", "postal_code": "10115", "city": "Berlin",
                             "country": "Germany"},
        }
        body.update(overrides)
        return body

    async def submit(self, number: str) -> str:
        body = self.request_body(number)
        response = await self.client.post("/api/process-request", json=body, headers=self.auth)
        assert response.status_code == 202, response.text
        assert response.json() == {"status": "accepted", "request_id": body["request_id"],
                                   "message": "Request is being processed"}
        return str(body["request_id"])

    async def get(self, request_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/api/requests/{request_id}", headers=self.auth)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def wait_for(self, request_id: str, done: Callable[[dict[str, Any]], bool],
                       within: float = 30.0) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            request = await self.get(request_id)
            if done(request):
                return request
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"not reached; last seen: {request}")
            await asyncio.sleep(0.2)


async def register(client: httpx.AsyncClient) -> User:
    email = f"user-{uuid.uuid4().hex[:10]}@example.com"
    response = await client.post("/api/auth/register", json={
        "email": email, "password": "password123", "name": "Max Mustermann"})
    assert response.status_code == 201, response.text
    body = response.json()
    return User(client, body["user"]["id"], body["token"])


def types(request: dict[str, Any]) -> list[str]:
    return [entry["type"] for entry in request["timeline"]]


def running_system(request: pytest.FixtureRequest, **env: str) -> Iterator[LocalSystem]:
    """Body of a module's ``system`` fixture: start, yield, dump logs if a test failed."""
    system = start_system(**env)
    failed_before = request.session.testsfailed
    yield system
    if request.session.testsfailed > failed_before:
        dump_logs(system)
    system.stop()
