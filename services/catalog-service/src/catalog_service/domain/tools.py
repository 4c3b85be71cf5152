"""HTTP tools: what a tool definition may say. Pure.

A tool is a function the realtime model may call during a call; media-bridge makes the
HTTP request. So its name must be a function name the model accepts and must not shadow
a built-in tool, its parameters must be a JSON Schema object (the function's arguments),
and its headers must be headers an HTTP client can send.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,64}$"
# The tools the platform gives every call itself (media-bridge): a business's tool of
# the same name would be ambiguous to the model.
BUILTIN_TOOL_NAMES = frozenset({
    "end_call", "search_knowledge", "book_appointment", "report_no_availability",
    "check_slot_availability", "book_spa_slot", "get_daily_availability", "cancel_booking",
})
# RFC 9110 field names are tokens.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")
# Set by the HTTP client or by the platform (the signature), never by a tool's owner.
RESERVED_HEADERS = frozenset({
    "host", "content-length", "transfer-encoding", "connection", "upgrade", "te",
    "trailer", "keep-alive", "proxy-connection", "x-ringbook-signature",
})
_HEADER_VALUE_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
MAX_HEADERS = 20
MAX_HEADER_VALUE_CHARS = 4096
SIGNING_SECRET_PREFIX = "whsec_"


class InvalidTool(ValueError):
    pass


def tool_name(name: str) -> str:
    if not re.fullmatch(NAME_PATTERN, name):
        raise InvalidTool(
            "a tool's name is its function name: 1 to 64 letters, digits, '_' or '-'"
        )
    if name.lower() in BUILTIN_TOOL_NAMES:
        raise InvalidTool(
            f"{name!r} is a built-in tool of every call; choose another name "
            f"(built-in: {', '.join(sorted(BUILTIN_TOOL_NAMES))})"
        )
    return name


def parameters_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema object describing the function's arguments, as the Realtime API's
    function tools take it: ``{"type": "object", "properties": {...}, "required": [...]}``."""
    if schema.get("type") != "object":
        raise InvalidTool('parameters must be a JSON Schema object: {"type": "object", ...}')
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        raise InvalidTool("parameters.properties must be an object")
    for key, value in properties.items():
        if not isinstance(value, dict):
            raise InvalidTool(f"parameters.properties.{key} must be a JSON Schema (an object)")
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise InvalidTool("parameters.required must be a list of property names")
    if unknown := sorted(set(required) - set(properties)):
        raise InvalidTool(f"parameters.required names unknown properties: {unknown}")
    return schema


def header_name(name: str) -> str:
    if not _HEADER_NAME.fullmatch(name):
        raise InvalidTool(f"{name!r} is not a valid HTTP header name")
    if name.lower() in RESERVED_HEADERS:
        raise InvalidTool(f"the header {name!r} is set by the platform or the HTTP client")
    return name


def header_value(name: str, value: str) -> str:
    if len(value) > MAX_HEADER_VALUE_CHARS:
        raise InvalidTool(f"the value of {name!r} is over {MAX_HEADER_VALUE_CHARS} characters")
    if _HEADER_VALUE_FORBIDDEN.search(value):
        raise InvalidTool(f"the value of {name!r} contains control characters")
    return value


def headers(values: dict[str, str]) -> dict[str, str]:
    if len(values) > MAX_HEADERS:
        raise InvalidTool(f"at most {MAX_HEADERS} headers")
    seen: set[str] = set()
    for name, value in values.items():
        header_name(name)
        header_value(name, value)
        if name.lower() in seen:
            raise InvalidTool(f"the header {name!r} is given twice")
        seen.add(name.lower())
    return values


def new_signing_secret() -> str:
    """The key of a tool's request signatures (``ringbook.tool_signature``)."""
    return SIGNING_SECRET_PREFIX + secrets.token_urlsafe(32)
