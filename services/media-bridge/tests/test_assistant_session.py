"""Who answers an inbound call and what the model is told (pure domain), and the briefing
that picks it from the catalog projection (an in-memory ``CatalogView``): the dialled
number's assistant, its client's receptionist, or the default receptionist when the
number is unknown, the lookup fails or is late, or the number is another tenant's."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from media_bridge.application.assistant_tools import AssistantServices
from media_bridge.application.briefing import brief
from media_bridge.domain.assistant_session import (
    FIRST_MESSAGE_PREFIX,
    AssistantProfile,
    ClientProfile,
    HttpTool,
    LineAnswer,
    assistant_session,
    client_session,
    first_message_instructions,
)
from media_bridge.domain.call_facts import CallFacts
from media_bridge.domain.tool_output import Passage
from ringbook.clock import FakeClock

TENANT = uuid.uuid4()
DEFAULT = "You are the default receptionist. Call end_call at the end."
TODAY = date(2026, 1, 15)  # a Thursday


def http_tool(name: str = "check_slots", **changes: Any) -> HttpTool:
    values: dict[str, Any] = {
        "tool_id": uuid.uuid4(), "name": name, "description": "Free slots on a day.",
        "endpoint": "https://tools.example.com/slots", "method": "POST",
        "parameters": {"type": "object", "properties": {"day": {"type": "string"}}},
        "timeout_seconds": 5.0, "signing_secret_sealed": "sealed-secret",
        "authentication_sealed": "sealed-auth", **changes,
    }
    return HttpTool(**values)


def profile(**changes: Any) -> AssistantProfile:
    values: dict[str, Any] = {
        "assistant_id": uuid.uuid4(), "tenant_id": TENANT, "name": "Praxis Sonnenschein",
        "system_prompt": "Du bist die Rezeption der Praxis Sonnenschein.",
        "first_message": "Praxis Sonnenschein, guten Tag!", "language": "de-DE",
        "fallback_language": "en-US", "voice_id": "coral", "max_tokens": 500,
        "tools": (http_tool(),), "has_knowledge": True, **changes,
    }
    return AssistantProfile(**values)


def client(**changes: Any) -> ClientProfile:
    values: dict[str, Any] = {
        "client_id": uuid.uuid4(), "tenant_id": TENANT, "name": "Salon Kamm",
        "profession": "Friseur", "system_prompt": "Termine nur dienstags.",
        "voice_id": None, "voice_name": "Sage", **changes,
    }
    return ClientProfile(**values)


def test_an_assistant_session_takes_prompt_date_language_voice_tools_and_first_message(
) -> None:
    spec = assistant_session(profile(), TODAY, DEFAULT)
    lines = spec.instructions.splitlines()
    assert lines[0] == "Du bist die Rezeption der Praxis Sonnenschein."
    assert "Today is Thursday, 2026-01-15." in lines
    assert ("Speak German (de-DE). If the caller does not understand it, switch to English "
            "(en-US).") in lines
    assert any("search_knowledge" in line for line in lines)
    assert lines[-1] == "When the conversation is over, say goodbye and call the end_call tool."
    assert [t.name for t in spec.tools] == ["check_slots", "search_knowledge", "end_call"]
    slots = spec.tools[0].as_param()
    assert slots == {"type": "function", "name": "check_slots",
                     "description": "Free slots on a day.",
                     "parameters": {"type": "object",
                                    "properties": {"day": {"type": "string"}}}}
    assert spec.voice == "coral" and spec.max_output_tokens == 500
    assert spec.first_message == "Praxis Sonnenschein, guten Tag!"
    assert first_message_instructions(spec.first_message) == (
        "Say exactly the following, then wait for the caller: Praxis Sonnenschein, guten Tag!")
    assert FIRST_MESSAGE_PREFIX.endswith(": ")


def test_what_the_realtime_api_cannot_take_is_left_to_the_defaults() -> None:
    spec = assistant_session(profile(
        system_prompt=None, first_message="  ", voice_id="21m00Tcm4TlvDq8ikWAM",
        max_tokens=100_000, has_knowledge=False, language="fr-CA", fallback_language=None,
        tools=(http_tool("end_call"), http_tool("lookup", parameters={}),
               http_tool("lookup", description="a second one"), http_tool("search_knowledge")),
    ), TODAY, DEFAULT)
    assert spec.instructions.splitlines()[0] == DEFAULT  # no prompt: the receptionist's
    assert "Speak French (fr-CA)." in spec.instructions.splitlines()
    assert "search_knowledge" not in spec.instructions
    # Built-in names and a second tool of the same name are not offered twice.
    assert [t.name for t in spec.tools] == ["lookup", "end_call"]
    assert spec.tools[0].parameters == {"type": "object", "properties": {}}
    assert spec.tools[0].description == "Free slots on a day."
    assert spec.voice is None  # an ElevenLabs voice: the default realtime voice speaks
    assert spec.max_output_tokens == 4096 and spec.first_message is None


def test_a_client_receptionist_is_built_from_the_business() -> None:
    spec = client_session(client(), TODAY, DEFAULT)
    lines = spec.instructions.splitlines()
    assert lines[0] == "You answer the phone for Salon Kamm, Friseur."
    assert lines[1] == "Termine nur dienstags." and "Today is Thursday, 2026-01-15." in lines
    assert [t.name for t in spec.tools] == ["end_call"]
    assert spec.voice == "sage" and spec.first_message is None
    plain = client_session(client(profession=None, system_prompt=None, voice_name="Rachel"),
                           TODAY, DEFAULT)
    assert plain.instructions.splitlines()[:2] == ["You answer the phone for Salon Kamm.",
                                                   DEFAULT]
    assert plain.voice is None


def test_http_tool_secrets_stay_out_of_its_repr() -> None:
    text = repr(http_tool())
    assert "sealed-secret" not in text and "sealed-auth" not in text and "check_slots" in text


# --- the briefing -----------------------------------------------------------------------


class MemoryCatalog:
    def __init__(self, answers: dict[str, LineAnswer], *, fail: bool = False,
                 stall: bool = False) -> None:
        self.answers, self.fail, self.stall = answers, fail, stall
        self.asked: list[str] = []

    async def answering(self, line: str) -> LineAnswer | None:
        self.asked.append(line)
        if self.fail:
            raise ConnectionError("postgres is gone")
        if self.stall:
            await asyncio.Event().wait()
        return self.answers.get(line)

    async def search_knowledge(self, assistant: AssistantProfile, query: str,
                               limit: int) -> list[Passage]:
        return []


class NoRequests:
    async def request(self, tool: HttpTool, arguments: dict[str, Any]) -> Any:
        raise AssertionError("no tool is called while briefing")


class NoStore:
    async def call_request(self, request_id: uuid.UUID) -> None:
        raise AssertionError("an inbound call has no request")


CLOCK = FakeClock(datetime(2026, 1, 15, 23, 30, tzinfo=UTC))  # Friday already in Berlin


async def briefed(catalog: MemoryCatalog, line: str | None, tenant: uuid.UUID = TENANT) -> Any:
    facts = CallFacts(call_sid="CA1", tenant_id=tenant, line=line)
    services = AssistantServices(catalog=catalog, requests=NoRequests(),
                                 lookup_timeout_seconds=0.05)
    return await brief(facts, NoStore(), DEFAULT,  # type: ignore[arg-type]
                       services=services, clock=CLOCK)


async def test_the_dialled_number_picks_assistant_or_client() -> None:
    assistant, business = profile(), client()
    catalog = MemoryCatalog({"+49305550170": assistant, "+49305550180": business})
    by_assistant = await briefed(catalog, "+49305550170")
    assert by_assistant.assistant == assistant
    assert by_assistant.spec == assistant_session(assistant, date(2026, 1, 16), DEFAULT)
    by_client = await briefed(catalog, "+49305550180")
    assert by_client.assistant is None
    assert by_client.spec.instructions.startswith("You answer the phone for Salon Kamm")
    assert catalog.asked == ["+49305550170", "+49305550180"]


@pytest.mark.parametrize(("catalog", "line", "tenant"), [
    (MemoryCatalog({}), "+49305550199", TENANT),  # configured nowhere
    (MemoryCatalog({"+49305550170": profile()}), None, TENANT),  # no line in the grant
    (MemoryCatalog({}, fail=True), "+49305550170", TENANT),  # the lookup fails
    (MemoryCatalog({}, stall=True), "+49305550170", TENANT),  # ... or is late
    (MemoryCatalog({"+49305550170": profile()}), "+49305550170", uuid.uuid4()),  # not theirs
], ids=["unknown", "no-line", "failing", "late", "other-tenant"])
async def test_otherwise_the_default_receptionist_answers(
    catalog: MemoryCatalog, line: str | None, tenant: uuid.UUID
) -> None:
    briefing = await briefed(catalog, line, tenant)
    assert briefing.assistant is None
    assert briefing.spec.instructions == DEFAULT
    assert [t.name for t in briefing.spec.tools] == ["end_call"]
    assert briefing.spec.voice is None and briefing.spec.first_message is None
