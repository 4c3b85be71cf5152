"""The SIMULATED LLM's HTTP API: ``POST /v1/responses`` (OpenAI's Responses API, the
subset the official SDK's ``responses.create`` / ``responses.parse`` use) and
``GET /health``.

Like the real API it wants ``Authorization: Bearer <key>`` (any non-empty key: it holds
no secrets) and answers a wrong body with a 400 in the API's error shape,
``{"error": {"message", "type", "param", "code"}}``. Answers are made by the plain rules
of :mod:`rules` and :mod:`schema_fill`, never by a model.

``fail_first`` makes the first N requests answer ``fail_status`` (500: a server error,
429: a rate limit), so a client's retries can be tested against real HTTP; ``hold``
keeps every request waiting until the event is set (a model that is slow to answer).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ringbook_simulators.responses.rules import read
from ringbook_simulators.responses.schema_fill import SchemaFiller

SIMULATED_NOTICE = "SIMULATED LLM (ringbook_simulators.responses): plain rules, not AI"
_FORMATS = ("text", "json_schema", "json_object")


@dataclass
class LlmState:
    """What a test can steer and inspect: failures to inject, requests received
    (``received`` counts every authorised one, ``requests`` holds those answered)."""

    fail_first: int = 0
    fail_status: int = 500
    hold: asyncio.Event | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    received: int = 0
    failed: int = 0


class BadRequest(Exception):
    def __init__(self, message: str, param: str | None) -> None:
        super().__init__(message)
        self.param = param


def error(status: int, message: str, *, kind: str, param: str | None = None,
          code: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "param": param,
                                   "code": code}}, status_code=status)


def input_text(value: Any) -> str:
    """The text of ``input``: a string, or a list of messages whose content is a string
    or a list of ``input_text`` / ``output_text`` parts."""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise BadRequest("'input' must be a string or an array of input items", "input")
    parts: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise BadRequest(f"Invalid type for 'input[{i}]': expected an object", f"input[{i}]")
        content = item.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts += [str(c.get("text", "")) for c in content
                      if isinstance(c, dict) and c.get("type") in ("input_text", "output_text")]
        elif item.get("type") not in ("function_call", "function_call_output", "reasoning"):
            raise BadRequest(f"Missing required parameter: 'input[{i}].content'.",
                             f"input[{i}].content")
    return "\n".join(parts)


def text_format(body: dict[str, Any]) -> dict[str, Any]:
    text = body.get("text")
    if text is None:
        return {"type": "text"}
    fmt = text.get("format", {"type": "text"}) if isinstance(text, dict) else None
    if not isinstance(fmt, dict) or fmt.get("type") not in _FORMATS:
        raise BadRequest("Invalid value for 'text.format.type': expected one of "
                         + ", ".join(_FORMATS), "text.format.type")
    if fmt["type"] == "json_schema":
        if not isinstance(fmt.get("name"), str) or not fmt["name"]:
            raise BadRequest("Missing required parameter: 'text.format.name'.",
                             "text.format.name")
        if not isinstance(fmt.get("schema"), dict):
            raise BadRequest("Missing required parameter: 'text.format.schema'.",
                             "text.format.schema")
    return fmt


def answer(body: dict[str, Any]) -> dict[str, Any]:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise BadRequest("Missing required parameter: 'model'.", "model")
    if "input" not in body:
        raise BadRequest("Missing required parameter: 'input'.", "input")
    prompt = input_text(body["input"])
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise BadRequest("Invalid type for 'instructions': expected a string", "instructions")
    fmt = text_format(body)
    reading = read(prompt)
    if fmt["type"] == "json_schema":
        output = orjson.dumps(SchemaFiller(fmt["schema"], reading).fill()).decode()
    elif fmt["type"] == "json_object":
        output = orjson.dumps({"summary": reading.summary, "sentiment": reading.sentiment,
                               "success": reading.success}).decode()
    else:
        output = reading.summary
    return response_object(model, body, fmt, output,
                           input_tokens=len(f"{instructions or ''} {prompt}".split()))


def response_object(model: str, body: dict[str, Any], fmt: dict[str, Any], output: str, *,
                    input_tokens: int) -> dict[str, Any]:
    now = int(time.time())
    output_tokens = max(1, len(output) // 4)
    return {
        "id": f"resp_sim_{uuid.uuid4().hex}",
        "object": "response",
        "created_at": now,
        "completed_at": now,
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": model,
        "output": [{
            "id": f"msg_sim_{uuid.uuid4().hex}",
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": output, "annotations": [],
                         "logprobs": []}],
        }],
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "store": bool(body.get("store", True)),
        "temperature": body.get("temperature", 1.0),
        "text": {"format": fmt},
        "tool_choice": "auto",
        "tools": [],
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens,
        },
        "metadata": body.get("metadata") or {},
    }


def create_responses_app(state: LlmState | None = None) -> FastAPI:
    state = state or LlmState()
    app = FastAPI(title=SIMULATED_NOTICE)
    app.state.llm = state

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "simulator": SIMULATED_NOTICE}

    @app.post("/v1/responses")
    async def create_response(request: Request) -> JSONResponse:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            return error(401, "You didn't provide an API key. Send it as "
                         "'Authorization: Bearer YOUR_KEY'.", kind="invalid_request_error")
        state.received += 1
        if state.hold is not None:
            await state.hold.wait()
        if state.failed < state.fail_first:
            state.failed += 1
            if state.fail_status == 429:
                return error(429, "Rate limit reached (SIMULATED).", kind="requests",
                             code="rate_limit_exceeded")
            return error(state.fail_status, "The server had an error while processing "
                         "your request (SIMULATED).", kind="server_error")
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return error(400, "We could not parse the JSON body of your request.",
                         kind="invalid_request_error")
        if not isinstance(body, dict):
            return error(400, "The body must be a JSON object.", kind="invalid_request_error")
        try:
            result = answer(body)
        except BadRequest as exc:
            return error(400, str(exc), kind="invalid_request_error", param=exc.param)
        state.requests.append(body)
        return JSONResponse(result)

    return app
