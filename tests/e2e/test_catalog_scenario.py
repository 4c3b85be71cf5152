"""Issue 9 end to end: a business configures its agent through the gateway, and a call
to its number is answered with that configuration.

Through the gateway only: a user registers, creates an HTTP tool (served here, on
127.0.0.1, by a tool server that checks ``X-Ringbook-Signature`` with the signing
secret shown once), uploads a knowledge file with a fact found nowhere else, creates an
assistant with both and a first message, and adds a number routed to it. The SIMULATED
carrier rings that number; the SIMULATED realtime model plays its "assistant" script
(chosen by the session's tools: a tool of the business's own and ``search_knowledge``):
it says the first message, calls the tool and quotes its answer, searches the files and
quotes the first passage, then ends the call. The transcript is read from media-bridge's
``call_completed`` on the system's own CALLS stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from ringbook.tool_signature import BadSignature, verify
from ringbook_devtools.system import LocalSystem
from ringbook_devtools.testing.waiting import eventually
from ringbook_simulators.carrier.testing import serve_app
from ringbook_simulators.realtime.assistant import ASSISTANT_QUESTION

from tests.e2e.support import User, register, running_system
from tests.e2e.test_inbound_call import call_completed

pytestmark = pytest.mark.e2e
CALLER, OUR_NUMBER, OUR_NUMBER_E164 = "+49 170 7654321", "+49 30 5550177", "+49305550177"
FIRST_MESSAGE = "Good afternoon, Salon Sonja here. How can I help you?"
# The tool's answer, and a fact only the knowledge file knows.
ORDER_STATE = {"order": "A-1042", "state": "ready for pickup", "shelf": "K7"}
FACT = "On Saturday our opening hours are 9:00 to 13:30, and every visitor gets a lavender tea."
KNOWLEDGE = f"{FACT}\n\nWe are a hair salon in Berlin Mitte. Appointments are welcome.\n"
ORDER_TOOL = {
    "name": "order_status", "description": "Looks up a customer's order",
    "method": "POST",
    "parameters": {"type": "object",
                   "properties": {"order_id": {"type": "string", "examples": ["A-1042"]}},
                   "required": ["order_id"]},
}


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[LocalSystem]:
    # The tool server listens on loopback, which tools may reach only in development.
    yield from running_system(request, TOOL_ALLOW_PRIVATE_ADDRESSES="true")


@dataclass
class ToolServer:
    """The business's own HTTP tool: answers the order's state to signed requests only."""

    secret: str = ""
    requests: list[tuple[bool, Any]] = field(default_factory=list)  # (signature valid, body)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/orders")
        async def orders(request: Request) -> JSONResponse:
            body = await request.body()
            try:
                verify(self.secret, request.headers.get("X-Ringbook-Signature"), body)
            except BadSignature:
                self.requests.append((False, body.decode(errors="replace")))
                return JSONResponse({"error": "bad signature"}, status_code=401)
            self.requests.append((True, json.loads(body)))
            return JSONResponse(ORDER_STATE)

        return app


def _data(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def configure_business(user: User, tool_url: str, tools: ToolServer) -> dict[str, Any]:
    """The tool, the file, the assistant and its number, as a business sets them up."""
    http, auth = user.client, user.auth
    tool = _data(await http.post("/api/tools/", headers=auth,
                                 json={**ORDER_TOOL, "endpoint": f"{tool_url}/orders"}), 201)
    assert tool["signing_secret"].startswith("whsec_")  # shown in full this once
    tools.secret = tool["signing_secret"]
    assert _data(await http.get(f"/api/tools/{tool['id']}", headers=auth), 200)[
        "signing_secret"] != tools.secret  # masked from now on

    uploaded = _data(await http.post(
        "/api/files/", headers=auth, data={"description": "Opening hours"},
        files={"file": ("opening_hours.md", KNOWLEDGE.encode(), "text/markdown")}), 201)
    file: dict[str, Any] = {}

    async def processed() -> bool:
        nonlocal file
        file = _data(await http.get(f"/api/files/{uploaded['id']}", headers=auth), 200)
        assert file["status"] != "error", file
        return bool(file["status"] == "processed")

    await eventually(processed, 60, what=lambda: f"the file processed: {file}", poll=0.5)
    assert FACT in file["extracted_text"]

    assistant = _data(await http.post("/api/assistants/", headers=auth, json={
        "name": "Salon Sonja", "language": "en", "first_message": FIRST_MESSAGE,
        "system_prompt": "You answer the phone for Salon Sonja, a hair salon.",
        "tool_ids": [tool["id"]], "file_ids": [uploaded["id"]]}), 201)
    assert [t["id"] for t in assistant["tools"]] == [tool["id"]]
    assert [f["id"] for f in assistant["files"]] == [uploaded["id"]]
    number = _data(await http.post("/api/phone-numbers/", headers=auth, json={
        "phone_number": OUR_NUMBER, "friendly_name": "Salon Sonja",
        "assistant_id": assistant["id"]}), 201)
    assert number["phone_number"] == OUR_NUMBER_E164
    assert number["answered_by"] == {"kind": "assistant", "id": assistant["id"]}
    return {"tool": tool, "file": uploaded, "assistant": assistant, "number": number}


async def wait_until_the_call_path_knows(system: LocalSystem, assistant_id: str) -> None:
    """The CATALOG stream has reached call-orchestrator (the number's owner) and
    media-bridge (the number's assistant, its tool and its processed file)."""
    conn = await asyncpg.connect(system.database_url)
    try:
        async def known() -> bool:
            return bool(await conn.fetchval(
                "select exists (select 1 from call_orchestrator.catalog_numbers"
                "               where phone_number = $1)"
                " and exists (select 1 from media_bridge.numbers"
                "             where number = $1 and assistant_id = $2::uuid)"
                " and exists (select 1 from media_bridge.assistant_tools"
                "             where assistant_id = $2::uuid)"
                " and exists (select 1 from media_bridge.assistant_files af"
                "             join media_bridge.knowledge_files f using (file_id)"
                "             where af.assistant_id = $2::uuid and f.status = 'processed')",
                OUR_NUMBER_E164, assistant_id))

        await eventually(known, 60, what="the number, assistant, tool and file projected",
                         poll=0.5)
    finally:
        await conn.close()


async def test_a_configured_number_answers_with_its_assistant_tool_and_knowledge(
    system: LocalSystem,
) -> None:
    tools = ToolServer()
    async with (serve_app(tools.app()) as tool_url,
                httpx.AsyncClient(base_url=system.gateway, timeout=30) as gateway,
                httpx.AsyncClient(base_url=system.url("carrier"), timeout=30) as carrier):
        user = await register(gateway)
        business = await configure_business(user, tool_url, tools)
        await wait_until_the_call_path_knows(system, business["assistant"]["id"])

        rung = await carrier.post("/simulate/incoming-call",
                                  json={"from": CALLER, "to": OUR_NUMBER})
        assert rung.status_code == 201, rung.text
        sid = rung.json()["sid"]
        ended = await call_completed(
            system, lambda e: e.data.call_sid == sid and bool(e.data.transcript), within=150)

        said = [(line.speaker, line.text) for line in ended.data.transcript]
        agent = [text for who, text in said if who == "agent"]
        assert agent[0] == FIRST_MESSAGE, said  # the first message, before anything else
        assert ("callee", ASSISTANT_QUESTION) in said
        # The tool got one validly signed request, with arguments from its schema, and
        # its answer was read out.
        assert tools.requests == [(True, {"order_id": "A-1042"})]
        assert f"The system says: {json.dumps(ORDER_STATE)}" in agent, said
        # The knowledge file's fact, found by search_knowledge and quoted.
        assert any(FACT in text for text in agent), said
        assert ended.data.outcome == "ended"  # the assistant's end_call hung up

        tool_id = business["tool"]["id"]
        seen: dict[str, Any] = {}

        async def counted() -> bool:
            nonlocal seen
            seen = _data(await gateway.get(f"/api/tools/{tool_id}", headers=user.auth), 200)
            return bool(seen["total_calls"] == 1)

        await eventually(counted, 30, what=lambda: f"the tool's usage: {seen}", poll=0.5)
        assert seen["last_used"] is not None and seen["avg_response_time"] is not None
