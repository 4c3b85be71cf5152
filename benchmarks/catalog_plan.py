"""The endpoints ``benchmarks.catalog_api`` measures, in the order they run.

Every public endpoint of seeds 001 and 002 that catalog-service serves, plus the gateway's
own ``/health`` first (the floor). A phase that creates keeps its answers; later phases
address what it created by index, so each request is a real one on a real resource:

- reads and changes of resource ``i % n`` (with ``n`` created, and index ``i`` given to one
  client only, no two concurrent requests ever change the same aggregate: a PUT racing
  another PUT of the same version would rightly answer 409);
- a phase that *consumes* (a delete, an unlink) takes resource ``i`` exactly once and has
  no warm-up, so it never asks for something already gone.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

Request = tuple[str, str, dict[str, Any]]  # method, path, httpx keyword arguments
# Tools must point somewhere; nothing calls this one (the run allows private addresses).
TOOL_URL = "http://127.0.0.1:9/bench-tool"
FILE_TEXT = ("Öffnungszeiten: Mo-Fr 9-18 Uhr, Sa 9-13 Uhr. " * 24).encode()  # ~1 KiB


@dataclass
class Endpoint:
    label: str
    make: Callable[[int], Request]
    keep: bool = False  # keep the answers: later phases use what this one created
    consumes: bool = False  # deletes or unlinks resource i: once each, no warm-up
    samples: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)


class Numbers:
    """Distinct valid Berlin numbers (+49 30 and eight digits), one per call of ``take``;
    random per run, so a rerun against the same database never meets its own claims."""

    def __init__(self) -> None:
        self._next = itertools.count(41_000_000 + uuid.uuid4().int % 1_000_000 * 40)

    def take(self) -> str:
        return f"+4930{next(self._next):08d}"


class Created:
    """What the creating phases answered, as ids (or, for business hours, numbers)."""

    def __init__(self, endpoints: list[Endpoint]) -> None:
        self._endpoints = endpoints  # filled in after this is made: looked up when asked
        self._ids: dict[str, list[str]] = {}

    def ids(self, label: str) -> list[str]:
        if label not in self._ids:
            answers = next(e.results for e in self._endpoints if e.label == label)
            if not answers:
                raise RuntimeError(f"{label} created nothing: its errors are printed below")
            self._ids[label] = [_key(body) for body in answers]
        return self._ids[label]

    def nth(self, label: str, i: int) -> str:
        ids = self.ids(label)
        return ids[i % len(ids)]


def _key(body: dict[str, Any]) -> str:
    thing = body["client"] if "client" in body else body["data"]
    return str(thing["id"] if "id" in thing else thing["number"])


def assistant_body(i: int) -> dict[str, Any]:
    return {"name": f"Bench bot {i}", "system_prompt": "Du bist die Rezeption der Praxis.",
            "first_message": "Guten Tag!", "language": "de-DE", "voice_id": "alloy",
            "temperature": 0.7, "max_tokens": 800, "capabilities": {"book_appointments": True}}


def tool_body() -> dict[str, Any]:
    return {"name": f"bench_tool_{uuid.uuid4().hex[:12]}", "endpoint": TOOL_URL,
            "method": "POST", "description": "Bench tool",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
            "headers": {"X-Api-Key": "bench-secret-0123456789"}}


def plan(token: str) -> list[Endpoint]:
    auth = {"Authorization": f"Bearer {token}"}
    numbers = Numbers()
    endpoints: list[Endpoint] = []
    made = Created(endpoints)

    def req(method: str, path: str, **kwargs: Any) -> Request:
        return method, path, {"headers": auth, **kwargs}

    def add(label: str, make: Callable[[int], Request], *, keep: bool = False,
            consumes: bool = False) -> None:
        endpoints.append(Endpoint(label, make, keep=keep, consumes=consumes))

    def assistant(i: int) -> str:
        return f"/api/assistants/{made.nth('POST /api/assistants/', i)}"

    def tool(i: int) -> str:
        return made.nth("POST /api/tools/", i)

    def file(i: int) -> str:
        return made.nth("POST /api/files/", i)

    def number(i: int) -> str:
        return f"/api/phone-numbers/{made.nth('POST /api/phone-numbers/', i)}"

    def client(i: int) -> str:
        return f"/api/clients/{made.nth('POST /api/clients', i)}"

    def hours(i: int) -> str:
        return f"/api/business-hours/{quote(made.nth('PUT /api/business-hours/{n}', i))}"

    def gone(label: str, path: str) -> Callable[[int], Request]:
        return lambda i: req("DELETE", path.format(made.nth(label, i)))

    add("GET /health (floor)", lambda i: ("GET", "/health", {}))
    # Tools
    add("POST /api/tools/", lambda i: req("POST", "/api/tools/", json=tool_body()), keep=True)
    add("GET /api/tools/", lambda i: req("GET", "/api/tools/"))
    add("GET /api/tools/{id}", lambda i: req("GET", f"/api/tools/{tool(i)}"))
    add("PUT /api/tools/{id}", lambda i: req("PUT", f"/api/tools/{tool(i)}", json={
        "description": f"Bench tool, version {i}", "timeout_seconds": 4.0}))
    # Knowledge files: 1 KiB of text each, extracted by catalog-service's worker meanwhile
    add("POST /api/files/", lambda i: req("POST", "/api/files/", files={
        "file": (f"faq-{i}.txt", FILE_TEXT, "text/plain")}), keep=True)
    add("GET /api/files/", lambda i: req("GET", "/api/files/"))
    add("GET /api/files/{id}", lambda i: req("GET", f"/api/files/{file(i)}"))
    # Assistants and their links
    add("POST /api/assistants/", lambda i: req("POST", "/api/assistants/",
                                               json=assistant_body(i)), keep=True)
    add("GET /api/assistants/", lambda i: req("GET", "/api/assistants/"))
    add("GET /api/assistants/{id}", lambda i: req("GET", assistant(i)))
    add("PUT /api/assistants/{id}", lambda i: req("PUT", assistant(i), json={
        "first_message": f"Guten Tag! ({i})", "status": "testing"}))
    add("POST /api/assistants/{id}/tools", lambda i: req(
        "POST", f"{assistant(i)}/tools", json={"tool_ids": [tool(i)]}))
    add("GET /api/assistants/{id}/tools", lambda i: req("GET", f"{assistant(i)}/tools"))
    add("POST /api/assistants/{id}/files", lambda i: req("POST", f"{assistant(i)}/files", json={
        "file_id": file(i), "settings": {"priority": 1, "enabled": True}}))
    add("GET /api/assistants/{id}/files", lambda i: req("GET", f"{assistant(i)}/files"))
    add("PUT /api/assistants/{id}/files", lambda i: req("PUT", f"{assistant(i)}/files", json={
        "file_id": file(i), "settings": {"priority": 2, "enabled": i % 2 == 0}}))
    add("DELETE /api/assistants/{id}/tools?tool_id=", lambda i: req(
        "DELETE", f"{assistant(i)}/tools", params={"tool_id": tool(i)}), consumes=True)
    add("DELETE /api/assistants/{id}/files?file_id=", lambda i: req(
        "DELETE", f"{assistant(i)}/files", params={"file_id": file(i)}), consumes=True)
    # Phone numbers, business hours, clients (seed 002)
    add("POST /api/phone-numbers/", lambda i: req("POST", "/api/phone-numbers/", json={
        "phone_number": numbers.take(), "friendly_name": f"Line {i}"}), keep=True)
    add("GET /api/phone-numbers/", lambda i: req("GET", "/api/phone-numbers/"))
    add("GET /api/phone-numbers/{id}", lambda i: req("GET", number(i)))
    add("PUT /api/phone-numbers/{id}", lambda i: req("PUT", number(i), json={
        "friendly_name": f"Line {i} (renamed)",
        "assistant_id": made.nth("POST /api/assistants/", i)}))
    add("PUT /api/business-hours/{n}", lambda i: req(
        "PUT", f"/api/business-hours/{quote(numbers.take())}",
        json={"weekly_hours": "mon-fri 08:00-18:00", "timezone": "Europe/Berlin"}), keep=True)
    add("GET /api/business-hours/{n}", lambda i: req("GET", hours(i)))
    add("POST /api/clients", lambda i: req("POST", "/api/clients", json={
        "name": f"Praxis {i}", "phone_number": numbers.take(), "profession": "dentist",
        "voice_name": "coral"}), keep=True)
    add("GET /api/clients", lambda i: req("GET", "/api/clients"))
    add("GET /api/clients/{id}", lambda i: req("GET", client(i)))
    add("PUT /api/clients/{id}", lambda i: req("PUT", client(i), json={
        "name": f"Praxis {i} (neu)", "voice_name": "sage"}))
    # Deletes last, one per created resource; numbers before the assistants answering them
    add("DELETE /api/phone-numbers/{id}",
        gone("POST /api/phone-numbers/", "/api/phone-numbers/{}"), consumes=True)
    add("DELETE /api/clients/{id}", gone("POST /api/clients", "/api/clients/{}"),
        consumes=True)
    add("DELETE /api/files/{id}", gone("POST /api/files/", "/api/files/{}"), consumes=True)
    add("DELETE /api/assistants/{id}",
        gone("POST /api/assistants/", "/api/assistants/{}"), consumes=True)
    add("DELETE /api/tools/{id}", gone("POST /api/tools/", "/api/tools/{}"), consumes=True)
    return endpoints
