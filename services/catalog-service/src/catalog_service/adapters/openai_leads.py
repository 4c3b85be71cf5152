"""``LeadModel`` through the official ``openai`` SDK: the Responses API with strict
structured outputs (``text.format`` json_schema), against OpenAI or, offline, the
SIMULATED LLM (``ringbook_simulators.responses``) at ``OPENAI_BASE_URL``.

The SDK's own retries are off: the analysis lanes retry with their own backoff, and a
draft the salesperson waits for fails fast (503) rather than hiding minutes of retries.
Nothing is stored at OpenAI (``store=False``): a lead is the tenant's customer data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar

import openai
import orjson
from openai import AsyncOpenAI
from ringbook.contracts.leads import LeadState

from catalog_service.application.lead_ports import ModelFailed
from catalog_service.domain import follow_ups, lead_analysis
from catalog_service.domain.follow_ups import Draft, InvalidDraft, Turn
from catalog_service.domain.lead_analysis import InvalidVerdict, LeadVerdict

T = TypeVar("T")


class OpenAILeadModel:
    def __init__(self, *, api_key: str, model: str, base_url: str | None,
                 timeout_seconds: float) -> None:
        self._model = model
        self._client = AsyncOpenAI(api_key=api_key, base_url=base_url,
                                   timeout=timeout_seconds, max_retries=0)

    @property
    def model(self) -> str:
        return self._model

    async def close(self) -> None:
        await self._client.close()

    async def analyse(self, lead: LeadState, today: date) -> LeadVerdict:
        return await self._ask(
            instructions=lead_analysis.INSTRUCTIONS,
            text=lead_analysis.render_input(lead, today),
            name=lead_analysis.SCHEMA_NAME, schema=lead_analysis.output_schema(),
            parse=lead_analysis.parse_verdict)

    async def draft(self, lead: LeadState, turns: Sequence[Turn], language: str,
                    today: date) -> Draft:
        return await self._ask(
            instructions=follow_ups.instructions(lead, language),
            text=follow_ups.render_input(lead, list(turns), today),
            name=follow_ups.SCHEMA_NAME, schema=follow_ups.output_schema(),
            parse=follow_ups.parse_draft)

    async def _ask(self, *, instructions: str, text: str, name: str,
                   schema: dict[str, Any], parse: Callable[[Any], T]) -> T:
        try:
            response = await self._client.responses.create(
                model=self._model, instructions=instructions, input=text,
                text={"format": {"type": "json_schema", "name": name, "strict": True,
                                 "schema": schema}},
                store=False)
        except openai.APIStatusError as exc:
            raise ModelFailed(f"the model answered {exc.status_code}: {exc.message}") from exc
        except openai.APIError as exc:  # connection errors and timeouts
            raise ModelFailed(f"the model is unreachable: {exc.message}") from exc
        if response.status != "completed":
            reason = response.incomplete_details.reason if response.incomplete_details else None
            raise ModelFailed(f"the response is {response.status} ({reason})")
        try:
            return parse(orjson.loads(response.output_text))
        except (orjson.JSONDecodeError, InvalidVerdict, InvalidDraft) as exc:
            # A refusal has no output_text; a truncated answer is no JSON.
            raise ModelFailed(f"the model's answer is unusable: {exc}") from exc
