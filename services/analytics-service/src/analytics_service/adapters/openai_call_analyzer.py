"""``CallAnalyzer`` through the official ``openai`` SDK: the Responses API with strict
structured outputs (``text.format`` json_schema), against OpenAI or, offline, the
SIMULATED LLM (``ringbook_simulators.responses``) at ``OPENAI_BASE_URL``.

The SDK's own retries are off (``max_retries=0``): the analysis job is the one place
that retries, with its own backoff and cap, so a failing model shows up in the job's
attempts instead of hiding in a request that takes minutes.
"""

from __future__ import annotations

from collections.abc import Sequence

import openai
import orjson
from openai import AsyncOpenAI

from analytics_service.application.analysis_ports import AnalyzerFailed
from analytics_service.domain.call_analysis import (
    INSTRUCTIONS,
    SCHEMA_NAME,
    CallAnalysis,
    ExtractionField,
    InvalidAnalysis,
    output_schema,
    parse_analysis,
    render_input,
)


class OpenAICallAnalyzer:
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

    async def analyse(
        self, transcript: str, hints: Sequence[str], fields: Sequence[ExtractionField]
    ) -> CallAnalysis:
        try:
            response = await self._client.responses.create(
                model=self._model,
                instructions=INSTRUCTIONS,
                input=render_input(transcript, hints),
                text={"format": {"type": "json_schema", "name": SCHEMA_NAME, "strict": True,
                                 "schema": output_schema(fields)}},
                store=False,  # transcripts are the tenant's data: nothing kept at OpenAI
            )
        except openai.APIStatusError as exc:
            raise AnalyzerFailed(f"the model answered {exc.status_code}: {exc.message}") from exc
        except openai.APIError as exc:  # connection errors and timeouts
            raise AnalyzerFailed(f"the model is unreachable: {exc.message}") from exc
        if response.status != "completed":
            reason = response.incomplete_details.reason if response.incomplete_details else None
            raise AnalyzerFailed(f"the response is {response.status} ({reason})")
        try:
            return parse_analysis(orjson.loads(response.output_text), fields)
        except (orjson.JSONDecodeError, InvalidAnalysis) as exc:
            # A refusal has no output_text; a truncated answer is no JSON.
            raise AnalyzerFailed(f"the model's answer is unusable: {exc}") from exc
