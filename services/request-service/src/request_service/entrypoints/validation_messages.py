"""Pydantic's validation errors, told as seed 000's single ``error`` string.

The frontend shows this string to a person, so it names the field (``user_profile.city``)
and says what is wrong in plain words; several problems are joined with "; ".
"""

from __future__ import annotations

from collections.abc import Mapping
from email.message import Message
from typing import Any

from fastapi.exceptions import RequestValidationError

MAX_PROBLEMS = 5

_PLAIN: Mapping[str, str] = {
    "missing": "is required",
    "extra_forbidden": "is not an accepted field",
    "uuid_parsing": "must be a UUID",
    "uuid_type": "must be a UUID",
    "string_type": "must be a string",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
}


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return True  # FastAPI parses a body without Content-Type as JSON
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc[1:]] if loc and loc[0] == "body" else [str(p) for p in loc]
    return ".".join(parts) or "body"


def _problem(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "phone_number":
        return str(error["msg"])
    if kind == "string_type" and error.get("input") is None:
        return "is required (null given)"
    if kind == "string_too_long":
        return f"is longer than {ctx.get('max_length')} characters"
    if kind == "string_too_short":
        return "must not be empty"
    return _PLAIN.get(kind, str(error["msg"]))


def describe(exc: RequestValidationError, content_type: str | None) -> tuple[int, str]:
    """(status, message): 400 not JSON, 415 not sent as JSON, else 422."""
    errors = list(exc.errors())
    for error in errors:
        loc = tuple(error.get("loc", ()))
        if error["type"] == "json_invalid":
            where = f" at position {loc[1]}" if len(loc) > 1 else ""
            return 400, f"body: is not valid JSON{where}"
        if loc == ("body",) and error["type"] == "missing":
            return 400, "body: is empty; send a JSON object"
        if loc == ("body",) and not _is_json(content_type):
            return 415, "body: must be sent as Content-Type: application/json"
    problems = [f"{_field(tuple(e['loc']))}: {_problem(e)}" for e in errors[:MAX_PROBLEMS]]
    if len(errors) > MAX_PROBLEMS:
        problems.append(f"and {len(errors) - MAX_PROBLEMS} more")
    return 422, "; ".join(problems)
