"""Asking a text model for a JSON answer of a given shape: the Responses API with strict
structured outputs (``text.format`` json_schema), through the official ``openai`` SDK,
against OpenAI or, offline, the SIMULATED LLM (``ringbook_simulators.responses``).

Every service that asks a model for structured text uses this one client, so each asks
the same way:

* the SDK's own retries are off (``max_retries=0``): the caller decides how to retry (a
  background job with its own backoff and cap), and an interactive request fails fast
  instead of hiding minutes of retries;
* nothing is stored at OpenAI (``store=False``): what is sent is a tenant's data;
* every way of not getting a usable answer is one exception, :class:`ModelAnswerFailed`,
  whose message says which (unreachable, an error status, an incomplete response, a
  refusal, text that is no JSON).
"""

from __future__ import annotations

from typing import Any

import openai
import orjson
from openai import AsyncOpenAI


class ModelAnswerFailed(Exception):
    """The model gave no usable answer; the message says why."""


class StructuredResponses:
    def __init__(self, *, api_key: str, model: str, base_url: str | None,
                 timeout_seconds: float) -> None:
        self._model = model
        self._client = AsyncOpenAI(api_key=api_key, base_url=base_url or None,
                                   timeout=timeout_seconds, max_retries=0)

    @property
    def model(self) -> str:
        return self._model

    async def close(self) -> None:
        await self._client.close()

    async def ask(self, *, instructions: str, text: str, name: str,
                  schema: dict[str, Any]) -> Any:
        """The answer's JSON value (to be checked by the caller against ``schema``'s
        meaning); raises ModelAnswerFailed."""
        try:
            response = await self._client.responses.create(
                model=self._model, instructions=instructions, input=text,
                text={"format": {"type": "json_schema", "name": name, "strict": True,
                                 "schema": schema}},
                store=False)
        except openai.APIStatusError as exc:
            raise ModelAnswerFailed(
                f"the model answered {exc.status_code}: {exc.message}") from exc
        except openai.APIError as exc:  # connection errors and timeouts
            raise ModelAnswerFailed(f"the model is unreachable: {exc.message}") from exc
        if response.status != "completed":
            reason = response.incomplete_details.reason if response.incomplete_details else None
            raise ModelAnswerFailed(f"the response is {response.status} ({reason})")
        try:
            return orjson.loads(response.output_text)
        except orjson.JSONDecodeError as exc:
            # A refusal has no output_text; a truncated answer is no JSON.
            raise ModelAnswerFailed(f"the model's answer is no JSON: {exc}") from exc


class StructuredModelAdapter:
    """The base of a service's model adapter (a port's implementation): the client, the
    model's name it records, and closing it; the subclass asks and checks its answers."""

    def __init__(self, *, api_key: str, model: str, base_url: str | None,
                 timeout_seconds: float) -> None:
        self._responses = StructuredResponses(api_key=api_key, model=model,
                                              base_url=base_url,
                                              timeout_seconds=timeout_seconds)

    @property
    def model(self) -> str:
        return self._responses.model

    async def close(self) -> None:
        await self._responses.close()
