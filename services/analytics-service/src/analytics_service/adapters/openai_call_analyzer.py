"""``CallAnalyzer`` through the kernel's structured-output client
(:mod:`ringbook.structured_output`: the ``openai`` SDK's Responses API, strict json_schema,
SDK retries off, nothing stored at OpenAI), against OpenAI or, offline, the SIMULATED LLM
(``ringbook_simulators.responses``) at ``OPENAI_BASE_URL``.

Retries belong to the analysis job alone, with its own backoff and cap, so a failing
model shows up in the job's attempts instead of hiding in a request that takes minutes.
"""

from __future__ import annotations

from collections.abc import Sequence

from ringbook.structured_output import ModelAnswerFailed, StructuredModelAdapter

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


class OpenAICallAnalyzer(StructuredModelAdapter):
    async def analyse(
        self, transcript: str, hints: Sequence[str], fields: Sequence[ExtractionField]
    ) -> CallAnalysis:
        try:
            answer = await self._responses.ask(
                instructions=INSTRUCTIONS, text=render_input(transcript, hints),
                name=SCHEMA_NAME, schema=output_schema(fields))
            return parse_analysis(answer, fields)
        except (ModelAnswerFailed, InvalidAnalysis) as exc:
            raise AnalyzerFailed(str(exc)) from exc
