"""Bad input, on every write endpoint of a tenant that has data: a clear 4xx with a JSON
error body in the endpoint's envelope, and nothing stored: no event row, no outbox row,
no read-model row, the tenant's answers unchanged, and nothing more on the CATALOG
stream than the events the tenant's own valid requests appended.

Tool endpoints here go through the real resolver (``ringbook.net_guard.resolve_public``),
so the numeric spellings of loopback (``127.1``, ``2130706433``, ``0x7f000001``) are judged
by what the operating system makes of them; no name here needs DNS (``localhost`` is in
/etc/hosts)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from catalog_service.entrypoints.app import Edges
from catalog_service.testing.api import CatalogApi
from ringbook.contracts.streams import CATALOG
from ringbook.net_guard import resolve_public
from ringbook_devtools.testing.waiting import eventually

PUBLIC_ENDPOINT = "https://93.184.215.14/v1/events"
PRIVATE_ENDPOINTS = [
    "http://127.0.0.1:8003/internal/business-hours/x", "http://127.1/", "http://2130706433/",
    "http://0x7f000001/", "http://0177.0.0.1/", "http://localhost:8001/token",
    "http://LOCALHOST./", "http://[::1]:8003/", "http://[::ffff:127.0.0.1]/", "http://[::]/",
    "http://0.0.0.0:8003/", "http://10.0.0.5/", "http://172.16.0.1/", "http://192.168.1.1/",
    "http://100.64.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/",
    "http://224.0.0.1/", "http://255.255.255.255/",
]


@pytest.fixture
def edges() -> Edges:
    return Edges(resolve=resolve_public, extraction=False)


@pytest.fixture
async def owned(catalog: CatalogApi) -> dict[str, Any]:
    """A tenant with one resource of every kind, linked."""
    tenant = uuid.uuid4()
    tool = await catalog.created("/api/tools/", tenant, {"name": "kalender",
                                                         "endpoint": PUBLIC_ENDPOINT})
    upload = await catalog.call("POST", "/api/files/", tenant,
                                files={"file": ("info.txt", b"Text", "text/plain")})
    assert upload.status_code == 201, upload.text
    file = upload.json()["data"]
    assistant = await catalog.created("/api/assistants/", tenant, {
        "name": "Bot", "tool_ids": [tool["id"]], "file_ids": [file["id"]]})
    number = await catalog.created("/api/phone-numbers/", tenant, {
        "phone_number": "+4930123456", "assistant_id": assistant["id"]})
    client = (await catalog.created("/api/clients", tenant, {
        "name": "Praxis", "phone_number": "+12125550100"}))["client"]
    hours = await catalog.call("PUT", "/api/business-hours/+4930555000", tenant,
                               json={"weekly_hours": "always"})
    assert hours.status_code == 200, hours.text
    return {"tenant": tenant, "tool": tool["id"], "file": file["id"],
            "assistant": assistant["id"], "number": number["id"], "client": client["id"]}


def bad_requests(r: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    asst, tool, file = (f"/api/assistants/{r['assistant']}", f"/api/tools/{r['tool']}",
                        f"/api/files/{r['file']}")
    number, client = f"/api/phone-numbers/{r['number']}", f"/api/clients/{r['client']}"
    deep = '{"name": "x", "capabilities": ' + '{"a": ' * 5000 + "1" + "}" * 5001
    raw = {"headers": {"Content-Type": "application/json"}}
    return [
        # wrong types
        ("POST", "/api/assistants/", {"json": {"name": 5}}),
        ("POST", "/api/assistants/", {"json": {"name": "x", "temperature": "hot"}}),
        ("POST", "/api/assistants/", {"json": {"name": "x", "capabilities": [1]}}),
        ("POST", "/api/assistants/", {"json": {"name": "x", "tool_ids": r["tool"]}}),
        ("POST", "/api/assistants/", {"json": {"name": "x", "max_tokens": 1.5}}),
        ("POST", "/api/assistants/", {"content": '{"name": "x", "temperature": NaN}', **raw}),
        ("POST", "/api/assistants/", {"content": '{"name": "x", "max_tokens": 1e400}', **raw}),
        ("POST", "/api/assistants/", {"content": '{"name": "x", "max_tokens": '
                                      + "9" * 5000 + "}", **raw}),
        ("POST", "/api/assistants/", {"content": deep, **raw}),
        ("POST", "/api/assistants/", {"content": "[1, 2]", **raw}),
        ("POST", "/api/assistants/", {"content": "not json", **raw}),
        ("POST", "/api/assistants/", {"content": b'{"name": "\xff"}', **raw}),
        ("POST", "/api/assistants/", {"json": {"name": "x\u0000y"}}),
        ("PUT", asst, {"json": {"name": None}}),
        ("PUT", asst, {"json": {"is_active": [1]}}),
        ("PUT", asst, {"json": {"tool_ids": [None]}}),
        ("PUT", asst, {"json": {"file_ids": ["not-a-uuid"]}}),
        ("PUT", asst, {"json": "Bot"}),
        ("POST", f"{asst}/tools", {"json": {"tool_ids": "x"}}),
        ("POST", f"{asst}/tools", {"json": {"tool_id": 5}}),
        ("POST", f"{asst}/tools", {"json": {}}),
        ("POST", f"{asst}/files", {"json": {"file_id": r["file"],
                                            "settings": {"priority": "high"}}}),
        ("POST", f"{asst}/files", {"json": {"file_id": r["file"], "settings": {"colour": 1}}}),
        ("PUT", f"{asst}/files", {"json": {"file_id": r["file"], "settings": []}}),
        ("PUT", f"{asst}/files", {"json": {"file_id": r["file"],
                                           "settings": {"priority": 1001}}}),
        ("DELETE", f"{asst}/tools", {}),
        ("DELETE", f"{asst}/files", {"params": {"file_id": "nope"}}),
        ("POST", "/api/tools/", {"json": {"name": "t2", "endpoint": 5}}),
        ("POST", "/api/tools/", {"json": {"name": "t2", "endpoint": PUBLIC_ENDPOINT,
                                          "timeout_seconds": "slow"}}),
        ("PUT", tool, {"json": {"headers": ["X-A"]}}),
        ("PUT", tool, {"json": {"parameters": {"type": "object", "properties": {},
                                               "required": ["ghost"]}}}),
        ("PUT", file, {"json": {"filename": 5}}),
        ("POST", "/api/phone-numbers/", {"json": {"phone_number": 4930999999}}),
        ("POST", "/api/phone-numbers/", {"json": {"phone_number": "call me"}}),
        ("POST", "/api/phone-numbers/", {"json": {"phone_number": "+4930999999",
                                                  "monthly_price": "free"}}),
        ("PUT", number, {"json": {"assistant_id": "not-a-uuid"}}),
        ("PUT", number, {"json": {"assistant_id": str(uuid.uuid4())}}),
        ("PUT", number, {"json": {"phone_number": "+4930999999"}}),
        ("PUT", number, {"json": {"status": "gone"}}),
        ("POST", "/api/clients", {"json": {"name": "x"}}),
        ("POST", "/api/clients", {"json": {"name": 5, "phone_number": "+12125550199"}}),
        ("POST", "/api/clients", {"json": {"name": "x", "phone_number": "+1-555-0100"}}),
        ("PUT", client, {"json": {"phone_number": None}}),
        ("PUT", client, {"json": {"is_active": {"yes": True}}}),
        ("PUT", client, {"content": "{", **raw}),
        ("PUT", "/api/business-hours/+4930555000", {"json": {"weekly_hours": "someday"}}),
        ("PUT", "/api/business-hours/+4930555000", {"json": {"weekly_hours": 5}}),
        ("PUT", "/api/business-hours/+4930555000", {"json": {"weekly_hours": "always",
                                                             "timezone": "Mars/Olympus"}}),
        ("PUT", "/api/business-hours/not-a-number", {"json": {"weekly_hours": "always"}}),
        ("PUT", f"{number}/business-hours", {"json": {"weekly_hours": "mon 25:00-26:00"}}),
        # unknown and read-only fields: refused (docs/catalog.md, "PUT changes the fields
        # it names")
        ("POST", "/api/assistants/", {"json": {"name": "x", "colour": "blue"}}),
        ("PUT", asst, {"json": {"owner_id": str(uuid.uuid4())}}),
        ("PUT", asst, {"json": {"id": str(uuid.uuid4())}}),
        ("POST", f"{asst}/tools", {"json": {"tool_ids": [r["tool"]], "force": True}}),
        ("PUT", tool, {"json": {"total_calls": 0}}),
        ("PUT", tool, {"json": {"signing_secret": "whsec_mine"}}),
        ("PUT", file, {"json": {"status": "processed"}}),
        ("PUT", file, {"json": {"extracted_text": "Lies"}}),
        ("POST", "/api/phone-numbers/", {"json": {"phone_number": "+4930999999",
                                                  "provider": "twilio"}}),
        ("POST", "/api/clients", {"json": {"name": "x", "phone_number": "+12125550199",
                                           "owner_id": str(uuid.uuid4())}}),
        ("PUT", client, {"json": {"created_at": "2020-01-01T00:00:00Z"}}),
        ("PUT", "/api/business-hours/+4930555000", {"json": {"weekly_hours": "always",
                                                             "number": "+4930555001"}}),
        # a tool at a private address, on create and on change
        *[("POST", "/api/tools/", {"json": {"name": "t3", "endpoint": url}})
          for url in PRIVATE_ENDPOINTS],
        *[("PUT", tool, {"json": {"endpoint": url}}) for url in PRIVATE_ENDPOINTS],
    ]


async def lists(catalog: CatalogApi, tenant: uuid.UUID) -> list[Any]:
    paths = ("/api/assistants/", "/api/tools/", "/api/files/", "/api/phone-numbers/",
             "/api/clients", "/api/business-hours/+4930555000")
    return [(await catalog.call("GET", p, tenant)).json() for p in paths]


async def catalog_stream_messages(catalog: CatalogApi) -> int:
    assert catalog.runtime.js is not None
    return int((await catalog.runtime.js.stream_info(CATALOG.name)).state.messages)


async def test_every_bad_request_is_a_4xx_in_its_envelope_and_stores_nothing(
        catalog: CatalogApi, owned: dict[str, Any]) -> None:
    tenant = owned["tenant"]
    before, seen = await catalog.stored(), await lists(catalog, tenant)
    for method, path, kwargs in bad_requests(owned):
        response = await catalog.call(method, path, tenant, **kwargs)
        what = (method, path, kwargs.get("json", kwargs.get("content")), response.text[:300])
        assert 400 <= response.status_code < 500, what
        body = response.json()
        assert isinstance(body["error"], str) and body["error"], what
        if path.startswith("/api/clients"):
            assert "success" not in body, what
        else:
            assert body["success"] is False, what
        assert await catalog.stored() == before, what
    assert await lists(catalog, tenant) == seen
    # Every event the valid requests appended reached CATALOG, and nothing else did.
    await eventually(lambda: _published_all(catalog, before["events"]), 10,
                     what="the CATALOG stream to hold exactly the fixture's events")


async def _published_all(catalog: CatalogApi, events: int) -> bool:
    return await catalog_stream_messages(catalog) == events


@pytest.mark.parametrize(("name", "data", "status"), [
    ("big.txt", b"x" * (64 * 1024 + 1), 413),
    ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, 415),
    ("tool.exe", b"MZ\x90\x00" + b"\x00" * 64, 415),
    ("notes.txt", b"\x7fELF\x02\x01\x01" + b"\x00" * 64, 415),
    ("archive.zip", b"PK\x03\x04" + b"\x00" * 64, 415),
])
async def test_refused_uploads_leave_the_tenants_files_and_stream_unchanged(
        catalog: CatalogApi, owned: dict[str, Any], name: str, data: bytes, status: int
) -> None:
    tenant = owned["tenant"]
    before, seen = await catalog.stored(), await lists(catalog, tenant)
    response = await catalog.call("POST", "/api/files/", tenant,
                                  files={"file": (name, data, "application/octet-stream")})
    assert response.status_code == status, response.text
    assert response.json()["success"] is False
    assert await catalog.stored() == before
    assert await lists(catalog, tenant) == seen
    await eventually(lambda: _published_all(catalog, before["events"]), 10,
                     what="the CATALOG stream to hold exactly the fixture's events")

