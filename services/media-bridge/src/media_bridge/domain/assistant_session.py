"""Who answers an inbound call, and what the model is told for it. Pure: no I/O.

A business number is answered by one of three (the catalog decides, as media-bridge's
projection of the CATALOG stream has it):

* a phone number routed to an assistant: that assistant (:class:`AssistantProfile`),
  its ``system_prompt`` as instructions, its language, voice and its speed, output
  limit, HTTP tools,
  ``search_knowledge`` when it has processed knowledge files, and its ``first_message``
  spoken before the caller says anything;
* a client's number (seed 002's business): a receptionist built from the client's name,
  profession, ``system_prompt`` and voice (:class:`ClientProfile`);
* anything else: the default receptionist (``RECEPTIONIST_INSTRUCTIONS``).

Every session ends with ``end_call`` among its tools and the line that says to use it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ringbook.contracts import catalog as c

from media_bridge.domain.booking_call import (
    BOOK_APPOINTMENT,
    END_CALL,
    END_CALL_TOOL,
    REPORT_NO_AVAILABILITY,
    SessionSpec,
    ToolSpec,
)

SEARCH_KNOWLEDGE = "search_knowledge"
BUILT_IN_TOOLS = frozenset({END_CALL, SEARCH_KNOWLEDGE, BOOK_APPOINTMENT, REPORT_NO_AVAILABILITY})

# The agent speaks first: ``response.create`` with these instructions right after
# ``session.update``. The simulated realtime model recognises a first message by this
# exact prefix, so it is part of the contract with it: change both or neither.
FIRST_MESSAGE_PREFIX = "Say exactly the following, then wait for the caller: "

# The Realtime API's voices, output limit and speeds (the kernel's, which catalog-service's
# ``not_in_effect`` is tested against too): a voice id it does not have (an ElevenLabs id
# from seed 001, say) cannot be spoken, and the default voice is used instead.
REALTIME_VOICES = frozenset(c.REALTIME_VOICES)
MAX_OUTPUT_TOKENS = c.REALTIME_MAX_OUTPUT_TOKENS

_LANGUAGES = {
    "de": "German", "en": "English", "fr": "French", "es": "Spanish", "it": "Italian",
    "nl": "Dutch", "pl": "Polish", "pt": "Portuguese", "tr": "Turkish", "da": "Danish",
    "sv": "Swedish", "no": "Norwegian", "nb": "Norwegian", "fi": "Finnish", "cs": "Czech",
    "el": "Greek", "ru": "Russian", "uk": "Ukrainian", "ar": "Arabic", "zh": "Chinese",
    "ja": "Japanese", "ko": "Korean", "hu": "Hungarian", "ro": "Romanian",
}
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_HANG_UP = "When the conversation is over, say goodbye and call the end_call tool."
_USE_KNOWLEDGE = (
    "For questions about the business (services, prices, opening hours, policies), call "
    "search_knowledge with the caller's question and answer from the passages it returns; "
    "if nothing relevant comes back, say you do not know rather than guess."
)

SEARCH_KNOWLEDGE_TOOL = ToolSpec(
    SEARCH_KNOWLEDGE,
    "Search the business's knowledge files for passages that answer a question.",
    {
        "type": "object",
        "properties": {"query": {"type": "string", "description": "what to look up"}},
        "required": ["query"],
    },
)


@dataclass(frozen=True)
class HttpTool:
    """A business's HTTP tool as the projection holds it; its secrets stay sealed
    (and out of ``repr``, so out of logs) until the request is made."""

    tool_id: uuid.UUID
    name: str
    description: str
    endpoint: str
    method: str
    parameters: dict[str, Any]
    timeout_seconds: float
    signing_secret_sealed: str = field(repr=False)
    headers_sealed: str | None = field(default=None, repr=False)
    authentication_sealed: str | None = field(default=None, repr=False)

    def spec(self) -> ToolSpec:
        return ToolSpec(self.name, self.description or self.name, object_schema(self.parameters))


@dataclass(frozen=True)
class AssistantProfile:
    assistant_id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    system_prompt: str | None
    first_message: str | None
    language: str  # BCP 47
    fallback_language: str | None
    voice_id: str | None
    max_tokens: int | None
    voice_speed: float | None = None
    tools: tuple[HttpTool, ...] = ()
    has_knowledge: bool = False

    @classmethod
    def of(cls, assistant_id: uuid.UUID, tenant_id: uuid.UUID, state: c.AssistantState, *,
           tools: tuple[HttpTool, ...] = (), has_knowledge: bool = False
           ) -> AssistantProfile | None:
        """The profile a call uses of the catalog's ``state``; None for an inactive
        assistant (its numbers get the default receptionist). What it keeps and drops
        is ``ringbook.contracts.catalog.ASSISTANT_FIELD_EFFECTS``."""
        if not state.is_active:
            return None
        return cls(
            assistant_id=assistant_id, tenant_id=tenant_id, name=state.name,
            system_prompt=state.system_prompt, first_message=state.first_message,
            language=state.language, fallback_language=state.fallback_language,
            voice_id=state.voice_id, max_tokens=state.max_tokens,
            voice_speed=state.voice_speed, tools=tools, has_knowledge=has_knowledge,
        )

    def http_tool(self, name: str) -> HttpTool | None:
        return next((t for t in self.offered_tools() if t.name == name), None)

    def offered_tools(self) -> tuple[HttpTool, ...]:
        """The HTTP tools the model gets: a name taken by a built-in tool or by an
        earlier tool of the same name is left out (the model cannot tell them apart)."""
        seen: set[str] = set(BUILT_IN_TOOLS)
        offered = []
        for tool in self.tools:
            if tool.name not in seen:
                seen.add(tool.name)
                offered.append(tool)
        return tuple(offered)


@dataclass(frozen=True)
class ClientProfile:
    client_id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    profession: str | None
    system_prompt: str | None
    voice_id: str | None
    voice_name: str | None


LineAnswer = AssistantProfile | ClientProfile


def object_schema(parameters: dict[str, Any]) -> dict[str, Any]:
    """A function's parameters as the realtime API wants them: a JSON Schema object
    (an empty ``{}`` from the catalog means "no arguments")."""
    if parameters.get("type") == "object":
        return parameters
    return {"properties": {}, **parameters, "type": "object"}


def realtime_voice(*candidates: str | None) -> str | None:
    """The first candidate that is a realtime voice (case-insensitive); None: default."""
    for voice in candidates:
        if voice and voice.strip().lower() in REALTIME_VOICES:
            return voice.strip().lower()
    return None


def realtime_speed(speed: float | None) -> float | None:
    """The output speed if the Realtime API takes it; None: the normal speed."""
    low, high = c.REALTIME_SPEED_RANGE
    return speed if speed is not None and low <= speed <= high else None


def language_line(language: str, fallback: str | None) -> str:
    line = f"Speak {language_name(language)} ({language})."
    if fallback:
        line += (f" If the caller does not understand it, switch to "
                 f"{language_name(fallback)} ({fallback}).")
    return line


def language_name(tag: str) -> str:
    primary = tag.strip().split("-")[0].lower()
    return _LANGUAGES.get(primary, tag)


def date_line(today: date) -> str:
    return f"Today is {_WEEKDAYS[today.weekday()]}, {today.isoformat()}."


def first_message_instructions(first_message: str) -> str:
    return FIRST_MESSAGE_PREFIX + first_message


def assistant_session(assistant: AssistantProfile, today: date, default: str) -> SessionSpec:
    """``default``: the receptionist's instructions, for an assistant with no prompt."""
    http_tools = tuple(tool.spec() for tool in assistant.offered_tools())
    lines = [(assistant.system_prompt or "").strip() or default, date_line(today),
             language_line(assistant.language, assistant.fallback_language)]
    tools = [*http_tools]
    if assistant.has_knowledge:
        lines.append(_USE_KNOWLEDGE)
        tools.append(SEARCH_KNOWLEDGE_TOOL)
    lines.append(_HANG_UP)
    tools.append(END_CALL_TOOL)
    max_tokens = assistant.max_tokens
    first = (assistant.first_message or "").strip()
    return SessionSpec(
        instructions="\n".join(lines),
        tools=tuple(tools),
        voice=realtime_voice(assistant.voice_id),
        speed=realtime_speed(assistant.voice_speed),
        max_output_tokens=(None if max_tokens is None
                           else max(1, min(max_tokens, MAX_OUTPUT_TOKENS))),
        first_message=first or None,
    )


def client_session(client: ClientProfile, today: date, default: str) -> SessionSpec:
    """The receptionist of a client business (seed 002): who it answers for, the
    client's own prompt (or the default receptionist's), in the caller's language."""
    business = client.name.strip()
    if client.profession and client.profession.strip():
        business += f", {client.profession.strip()}"
    lines = [
        f"You answer the phone for {business}.",
        (client.system_prompt or "").strip() or default,
        date_line(today),
        _HANG_UP,
    ]
    return SessionSpec(
        instructions="\n".join(lines),
        tools=(END_CALL_TOOL,),
        voice=realtime_voice(client.voice_id, client.voice_name),
    )


def wanted_voice(answer: LineAnswer) -> str | None:
    """The voice the catalog asks for, realtime voice or not (to log one we cannot use)."""
    if isinstance(answer, AssistantProfile):
        return answer.voice_id
    return answer.voice_id or answer.voice_name
