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
# A ``message`` quote of an output without a message or an error (SIMULATED, Italian:
# the booking callers' language).
NO_MESSAGE: Final = "Mi scusi, il sistema non ha risposto. La prego di riprovare più tardi."
# What a text and a tool call's arguments say where a remembered reference goes.
REFERENCE: Final = "{reference}"
NO_REFERENCE: Final = "SPA-000000"  # recalled for a caller nobody booked for
# The fields of a slot that a tool call takes from an alternative (``alternative_of``).
_SLOT_FIELDS: Final = ("date", "start_time", "end_time")


def _json(output: str | None) -> Any:
    try:
        return json.loads(output) if output is not None else None
    except json.JSONDecodeError:
        return output  # not JSON: quoted as it came


@dataclass(frozen=True)
class ToolCall:
    """A function call the scripted agent makes; arguments are sent as JSON.

    ``alternative_of`` names a tool whose latest output lists ``alternatives`` (the
    bridge's ``check_slot_availability``): the call takes ``date``, ``start_time`` and
    ``end_time`` from the first of them (none: the arguments as written). An argument
    :data:`REFERENCE` is the reference remembered for the caller (:meth:`Turn.resolved`).
    """

    name: str
    arguments: dict[str, Any]
    alternative_of: str | None = None

    @property
    def arguments_json(self) -> str:
        return json.dumps(self.arguments, ensure_ascii=False)

    def resolved(self, outputs: Mapping[str, str], reference: str | None) -> ToolCall:
        arguments = {key: reference if value == REFERENCE and reference is not None
                     else value for key, value in self.arguments.items()}
        if self.alternative_of is not None:
            result = _json(outputs.get(self.alternative_of))
            alternatives = result.get("alternatives") if isinstance(result, dict) else None
            first = alternatives[0] if isinstance(alternatives, list) and alternatives else None
            if isinstance(first, dict):
                arguments.update({key: first[key] for key in _SLOT_FIELDS
                                  if isinstance(first.get(key), str)})
        return ToolCall(self.name, arguments)


@dataclass(frozen=True)
class Quote:
    """An agent line made from the output of the tool named ``tool`` (the output of its
    latest call, as media-bridge sent it back):

    * ``system`` (an HTTP tool, ``{"ok": true, "status": …, "body": …}``): ``The system
      says: `` and the first 200 characters of the body as JSON text; ``{"ok": false,
      "error": …}``: ``The system reports a problem: `` and the error;
    * ``documents`` (``search_knowledge``, ``{"ok": true, "passages": [{"file", "text"}]}``):
      ``According to our documents: `` and the first 300 characters of the first
      passage's text; no passage (or an error): :data:`NOT_IN_DOCUMENTS`;
    * ``message`` (the booking functions' bodies, ``{"message": …}``, or the bridge's
      ``{"ok": false, "error": …}``): the message, else the error, else
      :data:`NO_MESSAGE`.
    """

    tool: str
    kind: Literal["system", "documents", "message"]

    def line(self, output: str | None) -> str:
        result = _json(output)
        if self.kind == "message":
            said = next((result[key] for key in ("message", "error") if isinstance(
                result, dict) and isinstance(result.get(key), str) and result[key]), None)
            return said or NO_MESSAGE
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
    which a first message replaces. ``recall`` names a caller whose remembered booking
    reference (:data:`NO_REFERENCE` if none) takes the place of :data:`REFERENCE` in
    the text and the tool call's arguments.
    """

    speaker: Literal["practice", "caller", "agent"]
    text: str | None = None
    tool: ToolCall | None = None
    barge_in_after_ms: int | None = None
    quote: Quote | None = None
    opening: bool = False
    recall: str | None = None

    @property
    def by_agent(self) -> bool:
        return self.speaker == "agent"

    @property
    def duration_ms(self) -> int:
        """Expected speaking time of ``text`` (~60 ms per character)."""
        return speaking_duration_ms(self.text) if self.text else 0

    def resolved(self, outputs: Mapping[str, str],
                 memory: Mapping[str, str] | None = None) -> Turn:
        """The turn as said: its quote made into a line from ``outputs`` (tool name ->
        the latest output of that tool), its tool call's arguments resolved from them,
        and the reference recalled from ``memory`` (caller number -> the booking
        reference last told that caller) put in."""
        reference = None
        if self.recall is not None:
            reference = (memory or {}).get(self.recall, NO_REFERENCE)
        text = self.text
        if self.quote is not None:
            text = self.quote.line(outputs.get(self.quote.tool))
        elif text is not None and reference is not None:
            text = text.replace(REFERENCE, reference)
        tool = self.tool.resolved(outputs, reference) if self.tool is not None else None
        if text == self.text and tool == self.tool and self.quote is None:
            return self
        return replace(self, text=text, tool=tool, quote=None)


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


def other_side(script: Script, *, greeted: bool = False) -> list[PracticeLine]:
    """The lines of the party the agent talks to (the practice, or an inbound caller),
    for the simulated carrier to play; ``greeted``: without the opening turns (a first
    message took their place)."""
    return [
        PracticeLine(turn.text, turn.duration_ms, turn.barge_in_after_ms)
        for turn in script.turns
        if not turn.by_agent and turn.text and not (greeted and turn.opening)
    ]
