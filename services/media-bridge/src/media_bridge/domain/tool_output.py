"""What the model gets back from a business's HTTP tool and from ``search_knowledge``.
Pure: the shapes of the outputs (docs/media-bridge.md lists them).

* an answer with a 2xx status: ``{"ok": true, "status": 200, "body": …}``, the body
  parsed as JSON when it is JSON, else its text (cut at :data:`TEXT_BODY_CHARS`, with
  ``"truncated": true``);
* any other answer: ``{"ok": false, "status": 404, "error": "…", "body": …}``, the body
  as above (a tool's 4xx often says what was wrong, which the model can act on);
* no usable answer (timeout, refused address, too large, …): ``{"ok": false, "error":
  "…"}``, the reason in words the model can say;
* ``search_knowledge``: ``{"ok": true, "passages": [{"file": …, "text": …}]}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

# Text bodies are cut here: the model reads every character of an output as input.
TEXT_BODY_CHARS = 4000
# Each passage of search_knowledge is cut here (three of them reach the model).
PASSAGE_CHARS = 1200
PASSAGES = 3


@dataclass(frozen=True)
class Passage:
    file: str  # the file's original name
    text: str


def failed(error: str) -> dict[str, Any]:
    return {"ok": False, "error": error}


def http_output(status: int, body: bytes, content_type: str) -> dict[str, Any]:
    """The model's view of an HTTP answer (already within the size limit)."""
    parsed, truncated = parse_body(body, content_type)
    output: dict[str, Any]
    if 200 <= status < 300:
        output = {"ok": True, "status": status, "body": parsed}
    elif 300 <= status < 400:
        output = {"ok": False, "status": status,
                  "error": "the tool answered with a redirect, which is not followed"}
        return output
    else:
        output = {"ok": False, "status": status, "body": parsed,
                  "error": f"the tool answered with HTTP status {status}"}
    if truncated:
        output["truncated"] = True
    return output


def parse_body(body: bytes, content_type: str) -> tuple[Any, bool]:
    """``(body, truncated)``: JSON parsed when it parses (whatever the content type says,
    as long as it does not claim to be something else than JSON or text), else text."""
    if not body:
        return None, False
    if _may_be_json(content_type):
        try:
            return orjson.loads(body), False
        except orjson.JSONDecodeError:
            pass
    text = body.decode("utf-8", errors="replace")
    if len(text) > TEXT_BODY_CHARS:
        return text[:TEXT_BODY_CHARS], True
    return text, False


def _may_be_json(content_type: str) -> bool:
    kind = content_type.split(";", maxsplit=1)[0].strip().lower()
    return kind in ("", "text/plain") or kind == "application/json" or kind.endswith("+json")


def knowledge_output(passages: Sequence[Passage]) -> dict[str, Any]:
    return {
        "ok": True,
        "passages": [{"file": p.file, "text": cut_passage(p.text)} for p in passages[:PASSAGES]],
    }


def cut_passage(text: str) -> str:
    text = text.strip()
    if len(text) <= PASSAGE_CHARS:
        return text
    cut = text[:PASSAGE_CHARS]
    space = cut.rfind(" ")
    return (cut[:space] if space > PASSAGE_CHARS // 2 else cut) + " …"
