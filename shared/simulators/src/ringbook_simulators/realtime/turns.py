"""The parts the SIMULATED realtime model's scripts are written in: turns, tool calls,
and quotes of a tool's output (``scripts`` has the conversations themselves)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

from ringbook_simulators.realtime.audio import speaking_duration_ms

# How much of a tool's output the scripted agent reads out.
SYSTEM_QUOTE_CHARS: Final = 200
DOCUMENT_QUOTE_CHARS: Final = 300
NOT_IN_DOCUMENTS: Final = "I could not find that in our documents."


@dataclass(frozen=True)
class ToolCall:
    """A function call the scripted agent makes; arguments are sent as JSON."""

    name: str
    arguments: dict[str, Any]

    @property
    def arguments_json(self) -> str:
        return json.dumps(self.arguments, ensure_ascii=False)


@dataclass(frozen=True)
class Quote:
    """An agent line made from the output of the tool named ``tool`` (the output of its
    latest call, as media-bridge sent it back):

    * ``system`` (an HTTP tool, ``{"ok": true, "status": …, "body": …}``): ``The system
      says: `` and the first 200 characters of the body as JSON text; ``{"ok": false,
      "error": …}``: ``The system reports a problem: `` and the error;
    * ``documents`` (``search_knowledge``, ``{"ok": true, "passages": [{"file", "text"}]}``):
      ``According to our documents: `` and the first 300 characters of the first
      passage's text; no passage (or an error): :data:`NOT_IN_DOCUMENTS`.
    """

    tool: str
    kind: Literal["system", "documents"]

    def line(self, output: str | None) -> str:
        try:
            result = json.loads(output) if output is not None else None
        except json.JSONDecodeError:
            result = output  # not JSON: quoted as it came
        if self.kind == "documents":
            passages = result.get("passages") if isinstance(result, dict) else None
            first = passages[0] if isinstance(passages, list) and passages else None
            text = first.get("text") if isinstance(first, dict) else None
            if not isinstance(text, str) or not text:
                return NOT_IN_DOCUMENTS
            return f"According to our documents: {text[:DOCUMENT_QUOTE_CHARS]}"
        if isinstance(result, dict) and result.get("ok") is False:
            return f"The system reports a problem: {str(result.get('error'))[:SYSTEM_QUOTE_CHARS]}"
        body = result.get("body") if isinstance(result, dict) else result
        said = json.dumps(body, ensure_ascii=False)[:SYSTEM_QUOTE_CHARS]
        return f"The system says: {said}"


@dataclass(frozen=True)
class Turn:
    """One step of a script.

    Practice turns (an outbound call's callee) and caller turns (an inbound call's
    caller) carry what the person on the line says (the input transcript). Agent turns
    carry a spoken line (output transcript and audio; ``text``, or a ``quote`` of a
    tool's output) and/or a tool call; a turn with both speaks first, then calls the
    tool, in one response. ``barge_in_after_ms`` (practice turns only) tells the carrier
    to start speaking that long after the agent's previous reply *started*, i.e. to
    interrupt it. ``opening`` marks the hello exchange an inbound call begins with,
    which a first message replaces.
    """

    speaker: Literal["practice", "caller", "agent"]
    text: str | None = None
    tool: ToolCall | None = None
    barge_in_after_ms: int | None = None
    quote: Quote | None = None
    opening: bool = False

    @property
    def by_agent(self) -> bool:
        return self.speaker == "agent"

    @property
    def duration_ms(self) -> int:
        """Expected speaking time of ``text`` (~60 ms per character)."""
        return speaking_duration_ms(self.text) if self.text else 0

    def resolved(self, outputs: Mapping[str, str]) -> Turn:
        """The turn with its quote made into a line from ``outputs`` (tool name ->
        the latest output of that tool)."""
        if self.quote is None:
            return self
        return replace(self, text=self.quote.line(outputs.get(self.quote.tool)), quote=None)


@dataclass(frozen=True)
class Script:
    number: str  # the number called, RECEPTIONIST or ASSISTANT for the inbound scripts
    description: str
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class PracticeLine:
    """What the simulated carrier plays for the person on the line (the practice, or an
    inbound caller), in order."""

    text: str
    duration_ms: int
    barge_in_after_ms: int | None
