"""What the hostile-input probes send, and how an answer to one is judged.

Every operation comes from the services' own ``/openapi.json``, so a new endpoint is
probed without anyone remembering to add it; the only hand-written parts are a valid
JSON body per operation that takes one (``ProbeTarget.bodies``: a missing one fails
the probes) and the Twilio webhooks, whose form fields FastAPI does not document.
"""

from __future__ import annotations

import json
import socket
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

NUL = "Max\x00Mustermann"
LONE_SURROGATE = "Max\ud800Mustermann"  # only json.dumps(ensure_ascii=True) can send it
# Percent-encoded, a lone surrogate is these bytes: not UTF-8 at all.
SURROGATE_BYTES = "%ED%A0%80"
HUGE_DIGITS = "9" * 5000  # past Python's 4300-digit int parsing limit
BEYOND_INT64 = 10**30
DEEP = 5000  # nesting levels, well inside the 64 KiB body limit

JsonBody = dict[str, Any]
BodyFactory = Callable[[], JsonBody]


@dataclass(frozen=True)
class Operation:
    service: str
    method: str
    path: str  # the template, e.g. /api/requests/{request_id}
    query: tuple[str, ...]
    path_params: tuple[str, ...]
    headers: tuple[str, ...]
    json_body: bool

    @property
    def label(self) -> str:
        return f"{self.service} {self.method} {self.path}"


def operations(service: str, spec: dict[str, Any]) -> list[Operation]:
    found = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            params = op.get("parameters", [])
            found.append(Operation(
                service=service,
                method=method.upper(),
                path=path,
                query=tuple(p["name"] for p in params if p["in"] == "query"),
                path_params=tuple(p["name"] for p in params if p["in"] == "path"),
                headers=tuple(p["name"] for p in params if p["in"] == "header"),
                json_body="application/json" in op.get("requestBody", {}).get("content", {}),
            ))
    return found


def string_leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The paths of every string in a JSON body: where a NUL or a surrogate can go."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from string_leaves(item, (*path, key))


def leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif path:
        yield path


def replaced(body: JsonBody, path: tuple[str, ...], value: Any) -> JsonBody:
    copy: JsonBody = json.loads(json.dumps(body))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


def encode(body: Any) -> bytes:
    # ensure_ascii: a lone surrogate becomes the escape "\ud800", as a hostile client
    # would write it; UTF-8 cannot carry it at all.
    return json.dumps(body, ensure_ascii=True).encode()


@dataclass
class Answer:
    status: int
    body: str

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass
class Findings:
    """Every answer that broke the rule, so one run names them all."""

    problems: list[str] = field(default_factory=list)
    probes: int = 0

    def judge(self, what: str, answer: Answer, *, refused: bool, seed_body: bool,
              parser_may_refuse: bool = False) -> None:
        """``refused``: the input must be answered 4xx (else: anything but 5xx). Every
        answer of 4xx or 5xx must be a JSON error body (seed 000's on its endpoint),
        except the HTTP parser's own plain 400 for bytes it cannot read as a request
        (``parser_may_refuse``: a NUL in a header never reaches any application)."""
        self.probes += 1
        if parser_may_refuse and answer.status == 400 and answer.body.startswith("Invalid HTTP"):
            return
        if answer.status >= 500:
            self.problems.append(f"{what}: {answer.status} {answer.body[:200]}")
            return
        if refused and not 400 <= answer.status < 500:
            self.problems.append(f"{what}: expected a 4xx refusal, got {answer.status}")
            return
        if answer.status >= 400 and answer.status != 431:
            body = answer.json()
            if seed_body:
                good = isinstance(body, dict) and body.get("status") == "error" and set(
                    body) == {"status", "request_id", "error"}
            else:
                good = isinstance(body, dict) and isinstance(body.get("error"), str)
            if not good:
                self.problems.append(f"{what}: {answer.status} without the JSON error body: "
                                     f"{answer.body[:200]}")

    def assert_none(self) -> None:
        assert self.probes > 0
        assert not self.problems, f"{len(self.problems)} of {self.probes} probes:\n" + "\n".join(
            self.problems)


def send(client: httpx.Client, method: str, url: str, **kwargs: Any) -> Answer:
    """One request; a server that resets the connection answered nothing (599). An
    event stream that opened is judged by its status alone: it never ends."""
    try:
        with client.stream(method, url, **kwargs) as response:
            if response.headers.get("content-type", "").startswith("text/event-stream"):
                return Answer(response.status_code, "")
            return Answer(response.status_code, response.read().decode("utf-8", "replace"))
    except httpx.TransportError as exc:
        return Answer(599, f"no answer: {exc!r}")


def send_raw(base_url: str, method: str, target: str,
             headers: list[tuple[bytes, bytes]], body: bytes = b"") -> Answer:
    """HTTP/1.1 over a bare socket, for header bytes no client library lets through."""
    url = urllib.parse.urlsplit(base_url)
    lines = [f"{method} {target} HTTP/1.1".encode(), f"Host: {url.netloc}".encode(),
             b"Connection: close", f"Content-Length: {len(body)}".encode()]
    lines += [name + b": " + value for name, value in headers]
    request = b"\r\n".join(lines) + b"\r\n\r\n" + body
    try:
        with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
            sock.sendall(request)
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
    except OSError as exc:
        return Answer(599, f"no answer: {exc!r}")
    head, _, payload = received.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    if len(status_line) < 2 or not status_line[1].isdigit():
        return Answer(599, f"no answer: {received[:200]!r}")
    return Answer(int(status_line[1]), payload.decode("utf-8", "replace"))
