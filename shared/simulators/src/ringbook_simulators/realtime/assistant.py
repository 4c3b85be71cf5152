"""The SIMULATED model's "assistant" script: an inbound call answered by a business's
configured assistant, with its own HTTP tools and/or its knowledge files (the table in
``scripts`` says when it is chosen and how it goes). Not AI: the tool called, its
arguments and every line follow fixed rules from the session's tools.

Arguments come from the tool's JSON Schema (``parameters``) by one plain rule: for each
``required`` property, its ``default``, else the first of its ``examples``, else the
first of its ``enum``, else a value of its type: string ``"example"``, number and
integer ``1``, boolean ``true``, object: the same rule applied to it, array ``[]``
(no type: ``"example"``). Properties not required are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from ringbook.contracts.bookings import BOOKING_FUNCTIONS

from ringbook_simulators.realtime.turns import Quote, Script, ToolCall, Turn

ASSISTANT: Final = "assistant"
SEARCH_KNOWLEDGE: Final = "search_knowledge"
END_CALL: Final = "end_call"
# The tools the bridge adds itself (with the booking functions of a business with
# slots); any other tool is the business's own.
BUILT_IN_TOOLS: Final = frozenset(
    {END_CALL, SEARCH_KNOWLEDGE, "book_appointment", "report_no_availability",
     *BOOKING_FUNCTIONS}
)
# media-bridge asks for the assistant's first message with exactly this prefix.
FIRST_MESSAGE_PREFIX: Final = "Say exactly the following, then wait for the caller: "

ASSISTANT_HELLO: Final = "Hello, good afternoon, this is Max Mustermann speaking."
ASSISTANT_GREETING: Final = "Hello, you are speaking with our assistant. How can I help you?"
# The caller's question: what a knowledge file of opening hours answers.
ASSISTANT_QUESTION: Final = "What are your opening hours on Saturday?"
ASSISTANT_BYE: Final = "Thank you, that is all I wanted to know. Goodbye!"
ASSISTANT_GOODBYE: Final = "You are welcome. Thank you for calling, goodbye!"

_TYPE_VALUES: Final[dict[str, Any]] = {"string": "example", "number": 1, "integer": 1,
                                       "boolean": True, "array": []}


def first_message(response_create: dict[str, Any]) -> str | None:
    """What a ``response.create`` asks the agent to say as its first message, if it
    does (``response.instructions`` starting with :data:`FIRST_MESSAGE_PREFIX`)."""
    response = response_create.get("response")
    instructions = response.get("instructions") if isinstance(response, dict) else None
    if isinstance(instructions, str) and instructions.startswith(FIRST_MESSAGE_PREFIX):
        return instructions.removeprefix(FIRST_MESSAGE_PREFIX)
    return None


def function_names(tools: Sequence[Any]) -> list[str]:
    return [str(tool["name"]) for tool in tools
            if isinstance(tool, dict) and tool.get("type", "function") == "function"
            and isinstance(tool.get("name"), str)]


def own_tool(tools: Sequence[Any]) -> dict[str, Any] | None:
    """The first tool of the session that is not a built-in one."""
    for tool in tools:
        if (isinstance(tool, dict) and tool.get("type", "function") == "function"
                and isinstance(tool.get("name"), str) and tool["name"] not in BUILT_IN_TOOLS):
            return tool
    return None


def follows_assistant(tools: Sequence[Any]) -> bool:
    """A session with a tool of its own or ``search_knowledge`` plays this script."""
    return own_tool(tools) is not None or SEARCH_KNOWLEDGE in function_names(tools)


def arguments_from_schema(schema: object) -> dict[str, Any]:
    """A function's arguments made from its JSON Schema (the module's rule)."""
    if not isinstance(schema, dict):
        return {}
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    required = schema.get("required")
    names = [name for name in required if isinstance(name, str)] if isinstance(
        required, list) else []
    return {name: _value(properties.get(name)) for name in names}


def _value(prop: object) -> Any:
    if not isinstance(prop, dict):
        return "example"
    if "default" in prop:
        return prop["default"]
    for listed in ("examples", "enum"):
        values = prop.get(listed)
        if isinstance(values, list) and values:
            return values[0]
    kind = prop.get("type")
    if isinstance(kind, list):  # e.g. ["string", "null"]: the first real type
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object":
        return arguments_from_schema(prop)
    return _TYPE_VALUES.get(kind, "example") if isinstance(kind, str) else "example"


def assistant_script(tools: Sequence[Any]) -> Script:
    """The conversation for a session offering ``tools``."""
    tool = own_tool(tools)
    searches = SEARCH_KNOWLEDGE in function_names(tools)
    search = ToolCall(SEARCH_KNOWLEDGE, {"query": ASSISTANT_QUESTION}) if searches else None
    answer: list[Turn] = []
    if tool is not None:
        name = str(tool["name"])
        answer.append(Turn("agent", tool=ToolCall(name, arguments_from_schema(
            tool.get("parameters")))))
        # The quote and the search in one response: no silence between the two lines
        # but the search's own, so the caller does not take it for the end of the turn.
        answer.append(Turn("agent", quote=Quote(name, "system"), tool=search))
    elif search is not None:
        answer.append(Turn("agent", tool=search))
    if search is not None:
        answer.append(Turn("agent", quote=Quote(SEARCH_KNOWLEDGE, "documents")))
    return Script(
        ASSISTANT,
        "inbound, a configured assistant: a question answered from its tool and documents",
        (
            Turn("caller", text=ASSISTANT_HELLO, opening=True),
            Turn("agent", text=ASSISTANT_GREETING, opening=True),
            Turn("caller", text=ASSISTANT_QUESTION),
            *answer,
            Turn("caller", text=ASSISTANT_BYE),
            Turn("agent", text=ASSISTANT_GOODBYE,
                 tool=ToolCall(END_CALL, {"reason": "caller_done"})),
        ),
    )
