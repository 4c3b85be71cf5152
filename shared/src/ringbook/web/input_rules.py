"""What no request may carry, whatever route it is for, checked before any route runs.

Each rule stands for a failure that would otherwise surface deep inside as a 500:

* NUL characters: Postgres refuses ``\\u0000`` in ``text`` and ``jsonb``, so a NUL in
  any field fails the insert long after validation passed.
* Lone surrogates (``"\\ud800"`` in JSON) and bytes that are not UTF-8 (in a query,
  path or form): such a string cannot be encoded for Postgres, NATS or a log line.
* Integers outside 64 bits and non-finite numbers: no column holds them, and past
  4300 digits Python refuses to even parse one.
* Nesting beyond ``MAX_JSON_DEPTH``: no schema of ours needs it, and deep enough it
  exhausts the parser's recursion.
* Headers beyond ``MAX_HEADER_BYTES`` together (431): the server would hold them all.

Each check answers a :class:`Refusal` (status and the standard error body) or None.
Valid requests pay one extra ``json.loads`` of a body already capped by the body limit.
"""

from __future__ import annotations

import json
import math
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

MAX_HEADER_BYTES = 16 * 1024
MAX_JSON_DEPTH = 32
MAX_REPORTED = 5
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_SURROGATE = re.compile("[\ud800-\udfff]")

NUL_PROBLEM = "must not contain NUL characters"
SURROGATE_PROBLEM = "must not contain unpaired surrogates (not valid Unicode)"
NOT_UTF8_PROBLEM = "must be UTF-8 text"


@dataclass(frozen=True)
class Refusal:
    status: int
    error: str
    details: list[dict[str, str]] | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.error}
        if self.details is not None:
            body["details"] = self.details
        return body


def _invalid(problems: Iterable[tuple[str, str]]) -> Refusal | None:
    listed = [{"field": f, "problem": p} for f, p in list(problems)[:MAX_REPORTED]]
    return Refusal(422, "Invalid request", listed) if listed else None


def text_problem(value: str) -> str | None:
    if "\x00" in value:
        return NUL_PROBLEM
    if _SURROGATE.search(value):
        return SURROGATE_PROBLEM
    return None


def check_headers(headers: Iterable[tuple[bytes, bytes]]) -> Refusal | None:
    size = 0
    for name, value in headers:
        size += len(name) + len(value) + 4  # ": " and CRLF, as on the wire
        if b"\x00" in value:  # the HTTP parser refuses these already; this is a backstop
            return Refusal(400, "Invalid request header", [
                {"field": f"header.{name.decode('latin-1')}", "problem": NUL_PROBLEM}])
    if size > MAX_HEADER_BYTES:
        return Refusal(431, "Request header fields too large",
                       [{"field": "headers", "problem": f"over {MAX_HEADER_BYTES} bytes"}])
    return None


def _decoded(raw: bytes, *, plus_is_space: bool = True) -> tuple[str, str | None]:
    """(the text, what is wrong with it) for a percent-encoded URL or form component."""
    data = unquote_to_bytes(raw.replace(b"+", b" ") if plus_is_space else raw)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace"), NOT_UTF8_PROBLEM
    return text, text_problem(text)


def _pair_problems(encoded: bytes, location: str) -> Iterator[tuple[str, str]]:
    for pair in encoded.split(b"&"):
        raw_name, _, raw_value = pair.partition(b"=")
        name, name_problem = _decoded(raw_name)
        _, value_problem = _decoded(raw_value)
        problem = name_problem or value_problem
        if problem is not None:
            yield f"{location}{name}", problem


def check_query(query_string: bytes) -> Refusal | None:
    return _invalid(_pair_problems(query_string, "query.")) if query_string else None


def check_form(body: bytes) -> Refusal | None:
    return _invalid(_pair_problems(body, "")) if body else None


def check_path(raw_path: bytes) -> Refusal | None:
    _, problem = _decoded(raw_path, plus_is_space=False)
    return None if problem is None else Refusal(
        400, "Invalid request path", [{"field": "path", "problem": problem}])


class _OutOfRange(ValueError):
    """A number outside the range the platform accepts."""


def _bounded_int(digits: str) -> int:
    # Checked on the digits, before int(): 5000 digits would raise inside the parser.
    if len(digits.lstrip("-")) > 19 or not INT64_MIN <= int(digits) <= INT64_MAX:
        raise _OutOfRange("integers must fit in 64 bits")
    return int(digits)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _OutOfRange("numbers must be finite")
    return value


def _not_json(constant: str) -> Any:
    raise _OutOfRange(f"{constant} is not JSON")


def _json_problems(document: Any) -> Iterator[tuple[str, str]]:
    # Breadth first, so problems are named in document order; iterative, because a
    # recursive walk would fail on the very depth it is meant to refuse.
    queue: deque[tuple[Any, tuple[str, ...]]] = deque([(document, ())])
    while queue:
        value, path = queue.popleft()
        where = ".".join(path) or "body"
        if len(path) > MAX_JSON_DEPTH:
            yield where, f"is nested deeper than {MAX_JSON_DEPTH} levels"
            continue
        if isinstance(value, str):
            if (problem := text_problem(value)) is not None:
                yield where, problem
        elif isinstance(value, dict):
            for key, item in value.items():
                if (problem := text_problem(key)) is not None:
                    yield f"{where} (a key)", problem
                queue.append((item, (*path, key)))
        elif isinstance(value, list):
            queue.extend((item, (*path, str(i))) for i, item in enumerate(value))


def check_json(body: bytes) -> Refusal | None:
    """A syntax error is left to the route (it answers "not valid JSON" in its own
    words); everything the route's parser would trip over, or store, is refused here."""
    if not body.strip():
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Refusal(400, "Request body is not valid JSON",
                       [{"field": "body", "problem": NOT_UTF8_PROBLEM}])
    try:
        document = json.loads(text, parse_int=_bounded_int, parse_float=_finite_float,
                              parse_constant=_not_json)
    except _OutOfRange as exc:
        return Refusal(422, "Invalid request", [{"field": "body", "problem": str(exc)}])
    except RecursionError:
        return Refusal(400, "Request body is not valid JSON", [
            {"field": "body", "problem": f"is nested deeper than {MAX_JSON_DEPTH} levels"}])
    except ValueError:
        return None
    return _invalid(_json_problems(document))
