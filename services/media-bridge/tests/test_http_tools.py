"""Requests to a business's HTTP tool (``HttpToolRequests``) against real HTTP(S)
servers on 127.0.0.1: the request's shape and signature, secrets opened from their
sealed form, and the guard: no loopback or private address without the development
setting (by literal or by a name that resolves there), one resolution and a connection
to that address with the original Host and TLS server name, no redirects, a timeout
and a size cap."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import orjson
import pytest
from catalog_feed import BOX, SIGNING_SECRET, TOOL_TOKEN
from media_bridge.adapters.http_tools import HttpToolRequests, tool_http_client
from media_bridge.application.catalog_ports import ToolRequestFailed
from media_bridge.domain.assistant_session import HttpTool
from ringbook.tool_signature import SIGNATURE_HEADER, verify
from test_assistant_session import http_tool as profile_tool
from tool_doubles import FakeDns, ToolServer, tls_tool_server, tool_server


@pytest.fixture
async def server() -> AsyncIterator[ToolServer]:
    async with tool_server() as running:
        yield running


def sealed_tool(url: str, **changes: Any) -> HttpTool:
    values: dict[str, Any] = {
        "endpoint": url,
        "signing_secret_sealed": BOX.seal(SIGNING_SECRET),
        "headers_sealed": BOX.seal('{"X-Practice": "sonnenschein", "Host": "evil.example",'
                                   ' "X-Ringbook-Signature": "forged"}'),
        "authentication_sealed": BOX.seal(f'{{"type": "bearer", "token": "{TOOL_TOKEN}"}}'),
        **changes,
    }
    return profile_tool(**values)


def requests(*, allow_private: bool = True, max_bytes: int = 64 * 1024,
             max_timeout: float = 10.0, verify_tls: Any = True) -> HttpToolRequests:
    return HttpToolRequests(tool_http_client(verify_tls), BOX, max_timeout_seconds=max_timeout,
                            max_response_bytes=max_bytes, allow_private=allow_private)


async def test_a_post_carries_the_arguments_signed_with_the_tool_headers_and_auth(
    server: ToolServer,
) -> None:
    answer = await requests().request(sealed_tool(f"{server.url}/slots"), {"day": "Montag"})
    assert answer.status == 200 and orjson.loads(answer.body)["got"] == {"day": "Montag"}
    assert answer.content_type.startswith("application/json")
    [seen] = server.requests
    assert seen.method == "POST" and seen.body == b'{"day":"Montag"}'
    assert verify(SIGNING_SECRET, seen.headers["x-ringbook-signature"], seen.body) > 0
    assert seen.headers["authorization"] == f"Bearer {TOOL_TOKEN}"
    assert seen.headers["x-practice"] == "sonnenschein"
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["user-agent"] == "Ringbook-Tools/1"
    # The tool's headers cannot replace the transport's or ours.
    assert seen.headers["host"] == server.url.removeprefix("http://")


@pytest.mark.parametrize(("auth", "header", "expected"), [
    ({"type": "basic", "username": "praxis", "password": "geheim"}, "authorization",
     "Basic " + base64.b64encode(b"praxis:geheim").decode()),
    ({"type": "api_key", "header": "X-Api-Key", "value": "k-123"}, "x-api-key", "k-123"),
])
async def test_basic_and_api_key_authentication(
    server: ToolServer, auth: dict[str, str], header: str, expected: str
) -> None:
    tool = sealed_tool(f"{server.url}/slots", headers_sealed=None,
                       authentication_sealed=BOX.seal(orjson.dumps(auth).decode()))
    await requests().request(tool, {})
    assert server.requests[0].headers[header] == expected


async def test_a_get_sends_the_arguments_as_query_and_signs_the_empty_body(
    server: ToolServer,
) -> None:
    tool = sealed_tool(f"{server.url}/slots?practice=7", method="GET")
    answer = await requests().request(tool, {"day": "Montag", "urgent": True,
                                             "codes": [1, 2], "none": None})
    [seen] = server.requests
    assert parse_qs(seen.query) == {"practice": ["7"], "day": ["Montag"], "urgent": ["true"],
                                    "codes": ["[1,2]"]}
    assert seen.body == b"" and "content-type" not in seen.headers
    verify(SIGNING_SECRET, seen.headers[SIGNATURE_HEADER.lower()], b"")
    assert orjson.loads(answer.body)["got"]["day"] == "Montag"


async def test_loopback_is_refused_without_the_development_setting(server: ToolServer) -> None:
    for url in (f"{server.url}/slots", "http://localhost:1/slots", "http://[::1]:1/",
                "http://169.254.169.254/latest/meta-data", "http://10.1.2.3/",
                "ftp://tools.example.com/", "http://user:pw@tools.example.com/"):
        with pytest.raises(ToolRequestFailed, match="address is not allowed"):
            await requests(allow_private=False).request(sealed_tool(url), {})
    # The same server, allowed: the only request it ever saw is this one.
    await requests().request(sealed_tool(f"{server.url}/slots"), {"n": 1})
    assert [orjson.loads(r.body) for r in server.requests] == [{"n": 1}]


async def test_a_name_that_resolves_to_loopback_is_refused(
    server: ToolServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = server.url.rsplit(":", 1)[1]
    FakeDns(monkeypatch, {"tools.example.com": ["127.0.0.1"],
                          "mixed.example.com": ["93.184.216.34", "10.0.0.7"]})
    for name in ("tools.example.com", "mixed.example.com"):
        with pytest.raises(ToolRequestFailed, match="resolves to a private or local"):
            await requests(allow_private=False).request(
                sealed_tool(f"http://{name}:{port}/slots"), {})
    assert server.requests == []


async def test_the_name_is_resolved_once_and_the_connection_pinned_to_that_address(
    server: ToolServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = server.url.rsplit(":", 1)[1]
    dns = FakeDns(monkeypatch, {"tools.example.com": ["127.0.0.1"]})
    answer = await requests().request(sealed_tool(f"http://tools.example.com:{port}/slots"), {})
    assert answer.status == 200
    assert dns.lookups == {"tools.example.com": 1}  # never asked again when connecting
    assert server.requests[0].headers["host"] == f"tools.example.com:{port}"


async def test_https_keeps_the_server_name_for_tls_and_checks_the_certificate_by_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    async with tls_tool_server("tools.example.com", tmp_path) as tls:
        FakeDns(monkeypatch, {"tools.example.com": ["127.0.0.1"],
                              "other.example.com": ["127.0.0.1"]})
        client = requests(verify_tls=tls.client_context)
        answer = await client.request(
            sealed_tool(f"https://tools.example.com:{tls.port}/slots"), {"day": "Montag"})
        assert answer.status == 200 and orjson.loads(answer.body) == {"secure": True}
        assert tls.server_names == ["tools.example.com"]
        assert f"\r\nHost: tools.example.com:{tls.port}\r\n" in tls.heads[0]
        # Another name on the same address: its certificate does not match, refused.
        with pytest.raises(ToolRequestFailed, match="could not be reached"):
            await client.request(sealed_tool(f"https://other.example.com:{tls.port}/"), {})
        assert tls.server_names[-1] == "other.example.com" and len(tls.heads) == 1


async def test_a_redirect_is_answered_not_followed(server: ToolServer) -> None:
    answer = await requests().request(sealed_tool(f"{server.url}/redirect"), {})
    assert answer.status == 302 and len(server.requests) == 1


async def test_a_hanging_tool_times_out_at_the_capped_timeout(server: ToolServer) -> None:
    tool = sealed_tool(f"{server.url}/hang", timeout_seconds=30.0)
    with pytest.raises(ToolRequestFailed, match=r"did not answer within 0\.3 seconds") as exc:
        await requests(max_timeout=0.3).request(tool, {})
    assert exc.value.status is None and len(server.requests) == 1


@pytest.mark.parametrize("path", ["/large", "/large-chunked"])
async def test_an_answer_over_the_size_cap_is_an_error(server: ToolServer, path: str) -> None:
    with pytest.raises(ToolRequestFailed, match="larger than 65536 bytes") as exc:
        await requests().request(sealed_tool(f"{server.url}{path}"), {})
    assert exc.value.status == 200
    answer = await requests(max_bytes=200 * 1024).request(sealed_tool(f"{server.url}{path}"), {})
    assert len(answer.body) == 100 * 1024


async def test_unreadable_secrets_refuse_the_request(server: ToolServer) -> None:
    tool = sealed_tool(f"{server.url}/slots", signing_secret_sealed="not-a-sealed-value")
    with pytest.raises(ToolRequestFailed, match="credentials cannot be read"):
        await requests().request(tool, {})
    assert server.requests == []
