"""No client input yields a 5xx, on any endpoint of any of the five services.

The whole system runs as processes. Targeted probes put each hostile input where a
client can: NUL characters (Postgres refuses them in text and jsonb) and lone
surrogates (UTF-8 cannot encode them) in every JSON string, query and path parameter
and Twilio form field; integers past 64 bits or past Python's parsing limit; nesting
thousands deep; headers far larger than any real client sends; ``Last-Event-ID`` in any
spelling. Then schemathesis generates requests from each service's OpenAPI, with valid
credentials, and checks that no answer is a 5xx and each conforms to the schema.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ringbook_devtools.system import SERVICES, LocalSystem
from twilio.request_validator import RequestValidator

from tests.e2e.fuzz_world import (
    INTERNAL_TOKEN,
    TWILIO_AUTH_TOKEN,
    World,
    is_seed,
    probe,
    signed_in_world,
    stored_requests,
)
from tests.e2e.hostile_input import (
    BEYOND_INT64,
    DEEP,
    HUGE_DIGITS,
    LONE_SURROGATE,
    NUL,
    SURROGATE_BYTES,
    Answer,
    Findings,
    encode,
    leaves,
    replaced,
    send,
    send_raw,
    string_leaves,
)
from tests.e2e.support import running_system

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[LocalSystem]:
    yield from running_system(
        request, INTERNAL_TOKEN=INTERNAL_TOKEN, TWILIO_AUTH_TOKEN=TWILIO_AUTH_TOKEN,
        SIMCARRIER_AUTH_TOKEN=TWILIO_AUTH_TOKEN,
        # Cheap password hashing: schemathesis registers and logs in hundreds of times.
        PASSWORD_TIME_COST="1", PASSWORD_MEMORY_KIB="1024", PASSWORD_PARALLELISM="1")


# The gateway's /openapi.json lists every service's public operations, those it
# forwards marked with this extension. Each is probed and fuzzed at its own service
# below (the same code answers it through the gateway), so the gateway's document is
# narrowed to the gateway's own operations: fuzzing the forwarded ones again would
# double the slowest test of the suite and find nothing new. What the proxy does with
# hostile input is tested in tests/e2e/test_gateway.py and request-service's tests.
FORWARDED = "x-ringbook-service"


def own_operations(spec: dict[str, Any]) -> dict[str, Any]:
    paths = {}
    for path, item in spec["paths"].items():
        kept = {key: op for key, op in item.items()
                if not (isinstance(op, dict) and FORWARDED in op)}
        if any(isinstance(op, dict) and "responses" in op for op in kept.values()):
            paths[path] = kept
    return {**spec, "paths": paths}


@pytest.fixture(scope="module")
def world(system: LocalSystem) -> Iterator[World]:
    with signed_in_world(system) as world:
        world.specs["request-service"] = own_operations(world.specs["request-service"])
        yield world


def test_every_json_body_operation_has_a_valid_probe_body(world: World) -> None:
    bodies = world.bodies()
    missing = [op.label for op in world.operations()
               if op.json_body and (op.method, op.path) not in bodies]
    assert not missing, f"add a valid body to World.bodies for: {missing}"


def test_nul_and_lone_surrogates_in_json_strings_are_refused_with_4xx(world: World) -> None:
    findings, bodies = Findings(), world.bodies()
    stored_before = stored_requests(world)
    for op in world.operations():
        if not op.json_body:
            continue
        make = bodies[(op.method, op.path)]
        for path in string_leaves(make()):
            for name, evil in (("NUL", NUL), ("lone surrogate", LONE_SURROGATE)):
                body = replaced(make(), path, evil)
                answer = probe(world, op, content=encode(body))
                findings.judge(f"{op.label} {'.'.join(path)}={name}", answer,
                               refused=True, seed_body=is_seed(op))
        key_body = {**make(), "extra\x00key": "x"}
        findings.judge(f"{op.label} NUL in a key", probe(world, op, content=encode(key_body)),
                       refused=True, seed_body=is_seed(op))
    findings.assert_none()
    assert stored_requests(world) == stored_before  # a refused request stores nothing


def test_nul_and_lone_surrogates_in_query_and_path_are_refused_with_4xx(world: World) -> None:
    findings = Findings()
    for op in world.operations():
        body = world.bodies().get((op.method, op.path))
        content = encode(body()) if body else None
        for name, evil in (("NUL", "a%00b"), ("lone surrogate", SURROGATE_BYTES)):
            # A declared parameter, and one the route never reads: both are refused.
            for param in (*op.query, "unexpected"):
                target = f"{world.target(op)}?{param}={evil}"
                findings.judge(f"{op.label} ?{param}={name}",
                               probe(world, op, target=target, content=content),
                               refused=True, seed_body=is_seed(op))
            for param in op.path_params:
                target = world.target(op, **{param: evil})
                findings.judge(f"{op.label} {{{param}}}={name}",
                               probe(world, op, target=target, content=content),
                               refused=True, seed_body=False)
    findings.assert_none()


def test_hostile_header_bytes_never_cause_a_5xx(world: World) -> None:
    findings = Findings()
    values = [b"\x00", b"\xed\xa0\x80", b"\xb2", "١٢".encode(), HUGE_DIGITS.encode(), b"-1"]
    for op in world.operations():
        for header in (*op.headers, "authorization", "content-type", "x-correlation-id"):
            for value in values:
                if header == "authorization" and op.path.endswith("/stream"):
                    continue  # a valid token is needed to reach Last-Event-ID; see below
                answer = send_raw(world.url(op.service), op.method, world.target(op),
                                  [(header.encode(), value)])
                findings.judge(f"{op.label} {header}: {value[:12]!r}", answer,
                               refused=False, seed_body=False, parser_may_refuse=True)
    findings.assert_none()


@pytest.mark.parametrize("last_event_id", [
    b"\xb2", "١٢".encode(), "²".encode(), b"9" * 32, b"99999999999999999999", b"-1",
    b"1e3", b"1.5", b"0x1", b"\xed\xa0\x80",
])
def test_a_last_event_id_we_never_issued_streams_from_the_start(
    world: World, last_event_id: bytes,
) -> None:
    url = f"{world.url('request-service')}/api/requests/{world.request_id}/stream"
    headers = [(b"authorization", f"Bearer {world.token}".encode()),
               (b"last-event-id", last_event_id)]
    with httpx.Client(timeout=httpx.Timeout(15)) as client, \
            client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200, response.read()
        first_id = next(line for line in response.iter_lines() if line.startswith("id:"))
    assert first_id == "id: 1"


def test_integers_past_64_bits_and_past_parsing_limits_never_cause_a_5xx(
    world: World,
) -> None:
    findings, bodies = Findings(), world.bodies()
    for op in world.operations():
        if op.json_body:
            make = bodies[(op.method, op.path)]
            for path in leaves(make()):
                body = replaced(make(), path, BEYOND_INT64)
                findings.judge(f"{op.label} {'.'.join(path)}=10**30",
                               probe(world, op, content=encode(body)),
                               refused=True, seed_body=is_seed(op))
                raw = encode(replaced(make(), path, 0)).replace(b": 0", b": " + HUGE_DIGITS.encode())
                findings.judge(f"{op.label} {'.'.join(path)}=5000 digits",
                               probe(world, op, content=raw), refused=True,
                               seed_body=is_seed(op))
        for param in op.query:
            for value in (HUGE_DIGITS, str(BEYOND_INT64), "1e999", "nan", "-" + HUGE_DIGITS):
                target = f"{world.target(op)}?{param}={value}"
                findings.judge(f"{op.label} ?{param}={value[:8]}…",
                               probe(world, op, target=target), refused=False,
                               seed_body=is_seed(op))
        for param in op.path_params:
            findings.judge(f"{op.label} {{{param}}}=5000 digits",
                           probe(world, op, target=world.target(op, **{param: HUGE_DIGITS})),
                           refused=False, seed_body=False)
    findings.assert_none()


def test_deep_nesting_is_refused_with_4xx(world: World) -> None:
    findings, bodies = Findings(), world.bodies()
    deep_list = b"[" * DEEP + b"]" * DEEP
    deep_object = b'{"a":' * DEEP + b"1" + b"}" * DEEP
    for op in world.operations():
        if not op.json_body:
            continue
        for name, raw in (("arrays", deep_list), ("objects", deep_object)):
            findings.judge(f"{op.label} body of {DEEP} nested {name}",
                           probe(world, op, content=raw), refused=True, seed_body=is_seed(op))
        make = bodies[(op.method, op.path)]
        first = next(iter(leaves(make())))
        nested: Any = "x"
        for _ in range(200):
            nested = {"a": nested}
        findings.judge(f"{op.label} {'.'.join(first)} nested 200 deep",
                       probe(world, op, content=encode(replaced(make(), first, nested))),
                       refused=True, seed_body=is_seed(op))
    findings.assert_none()


def test_oversized_headers_are_answered_431_on_every_endpoint(world: World) -> None:
    findings = Findings()
    one_long = [(b"x-padding", b"a" * 32 * 1024)]
    many = [(f"x-padding-{i}".encode(), b"a" * 100) for i in range(400)]
    for op in world.operations():
        for name, headers in (("one 32 KiB header", one_long), ("400 headers", many)):
            answer = send_raw(world.url(op.service), op.method, world.target(op), headers)
            findings.judge(f"{op.label} {name}", answer, refused=True, seed_body=False)
            if answer.status not in (400, 431) and answer.status < 500:
                findings.problems.append(f"{op.label} {name}: {answer.status}, expected 431")
    findings.assert_none()


def _signed_form(world: World, path: str, fields: dict[str, str]) -> Answer:
    url = world.url("call-orchestrator") + path  # PUBLIC_BASE_URL in LocalSystem
    signature = RequestValidator(TWILIO_AUTH_TOKEN).compute_signature(url, fields)
    with httpx.Client(timeout=15) as client:
        return send(client, "POST", url, data=fields,
                    headers={"X-Twilio-Signature": signature})


def test_nul_in_a_signed_twilio_form_field_is_refused_with_4xx(world: World) -> None:
    findings = Findings()
    forms = {
        f"/webhook/call-status?attempt_id={uuid.uuid4()}": {
            "CallSid": "CA" + "1" * 32, "CallStatus": "completed", "CallDuration": "3"},
        "/webhook/call-status": {"CallSid": "CA" + "2" * 32, "CallStatus": "completed"},
        "/webhook/incoming-call": {"CallSid": "CA" + "3" * 32, "From": "+4917012345678",
                                   "To": "+49305550100", "CallStatus": "ringing",
                                   "FromCountry": "DE", "FromCity": "Berlin"},
    }
    for path, fields in forms.items():
        for name in fields:
            evil = {**fields, name: fields[name] + "\x00"}
            findings.judge(f"POST {path.split('?')[0]} {name}=NUL",
                           _signed_form(world, path, evil), refused=True, seed_body=False)
        # Invalid UTF-8 in the form body itself (a lone surrogate, percent-encoded).
        url = world.url("call-orchestrator") + path
        with httpx.Client(timeout=15) as client:
            answer = send(client, "POST", url, content=f"CallSid={SURROGATE_BYTES}".encode(),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        findings.judge(f"POST {path.split('?')[0]} surrogate form", answer, refused=True,
                       seed_body=False)
    findings.assert_none()


@pytest.mark.parametrize("service", list(SERVICES))
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    world: World, service: str, tmp_path: Path,
) -> None:
    token = INTERNAL_TOKEN if service == "call-orchestrator" else world.token
    # The document the probes above read (for the gateway, its own operations only).
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(world.specs[service]))
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", str(spec),
        "--url", world.url(service),
        "--header", f"Authorization: Bearer {token}",
        "--checks", "not_a_server_error,response_schema_conformance",
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", "12",
        "--seed", "20261203",  # the same cases on every run: a failure reproduces
        "--request-timeout", "5",
        "--workers", "1",
        # The timeline stream never ends by design; the probes above cover it.
        "--exclude-path", "/api/requests/{request_id}/stream",
        "--generation-database", "none",
        "--no-color",
        "--report-dir", str(tmp_path),
    ]
    # In tmp_path: schemathesis keeps a cache of crashes under its working directory.
    run = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
