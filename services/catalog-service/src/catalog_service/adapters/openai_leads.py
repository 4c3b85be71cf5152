"""``LeadModel`` through the kernel's structured-output client
(:mod:`ringbook.structured_output`: the ``openai`` SDK's Responses API, strict json_schema,
SDK retries off, nothing stored at OpenAI: a lead is the tenant's customer data), against
OpenAI or, offline, the SIMULATED LLM (``ringbook_simulators.responses``).

The analysis lanes retry with their own backoff; a draft the salesperson waits for fails
fast (503) rather than hiding minutes of retries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ringbook.contracts.leads import LeadState
from ringbook.structured_output import ModelAnswerFailed, StructuredModelAdapter

from catalog_service.application.lead_ports import ModelFailed
from catalog_service.domain import follow_ups, lead_analysis
from catalog_service.domain.follow_ups import Draft, InvalidDraft, Turn
from catalog_service.domain.lead_analysis import InvalidVerdict, LeadVerdict


class OpenAILeadModel(StructuredModelAdapter):
    async def analyse(self, lead: LeadState, today: date) -> LeadVerdict:
        try:
            return lead_analysis.parse_verdict(await self._responses.ask(
                instructions=lead_analysis.INSTRUCTIONS,
                text=lead_analysis.render_input(lead, today),
                name=lead_analysis.SCHEMA_NAME, schema=lead_analysis.output_schema()))
        except (ModelAnswerFailed, InvalidVerdict) as exc:
            raise ModelFailed(str(exc)) from exc

    async def draft(self, lead: LeadState, turns: Sequence[Turn], language: str,
                    today: date) -> Draft:
        try:
            return follow_ups.parse_draft(await self._responses.ask(
                instructions=follow_ups.instructions(lead, language),
                text=follow_ups.render_input(lead, list(turns), today),
                name=follow_ups.SCHEMA_NAME, schema=follow_ups.output_schema()))
        except (ModelAnswerFailed, InvalidDraft) as exc:
            raise ModelFailed(str(exc)) from exc
