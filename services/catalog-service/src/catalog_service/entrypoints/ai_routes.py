"""Seed 003's ``POST /ai``: a follow-up draft for a lead (``generate_message``), or the
model's analysis of one lead on demand (``analyze_lead``; a stored lead's verdict is
recorded like the background analysis's).

Each call is a paid request to the model, so it is rate limited per tenant
(AI_RATE_LIMIT, 429). A model that cannot answer is a 503 with Retry-After: the request
was fine, and may be sent again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from ringbook.contracts.leads import LeadState
from ringbook.web.errors import ApiError, ErrorOut
from ringbook.web.routing import PlatformRoute

from catalog_service.application import follow_ups, lead_analysis, leads
from catalog_service.application.lead_ports import ModelFailed
from catalog_service.domain.lead_analysis import as_asked
from catalog_service.entrypoints.dependencies import TenantDep
from catalog_service.entrypoints.lead_dependencies import Leads, LeadsDep
from catalog_service.entrypoints.schemas_ai import (
    AiRequest,
    AnalyzeLead,
    AnalyzeLeadOut,
    GenerateMessage,
    GenerateMessageOut,
    details,
)
from catalog_service.entrypoints.schemas_leads import LeadOut
from catalog_service.settings import AI_API

router = APIRouter(tags=["leads"], route_class=PlatformRoute,
                   responses={code: {"model": ErrorOut} for code in (401, 404, 422, 429, 503)})

_EXAMPLE = {"action": "generate_message", "data": {
    "messages": [{"role": "user", "content": "Schreib mir ein Follow-up für Lea"}],
    "lead": {"name": "Lea Kramer", "status": "offen", "channel": "WhatsApp",
             "notes": "Hat Demo gesehen, wartet auf Angebot", "disg_type": "I",
             "extra": {"last_contact": "2024-11-20"}}}}


def _unavailable(exc: ModelFailed) -> ApiError:
    return ApiError(503, "The language model is unavailable; try again",
                    details("model", exc), headers={"Retry-After": "5"})


async def _lead_of(body: GenerateMessage | AnalyzeLead, leads_: Leads, tenant: TenantDep
                   ) -> LeadState:
    data = body.data
    if data.lead_id is not None:
        return (await leads.get_lead(leads_.store, tenant, data.lead_id)).state
    assert data.lead is not None
    try:
        return data.lead.state(leads_.clock.now().date())
    except ValueError as exc:
        raise ApiError(422, "Invalid request", details("data.lead", exc)) from None


@router.post("/ai")
async def ai(body: Annotated[AiRequest, Body(openapi_examples={
                 "generate_message": {"value": _EXAMPLE}})],
             leads_: LeadsDep, tenant: TenantDep) -> GenerateMessageOut | AnalyzeLeadOut:
    lead = await _lead_of(body, leads_, tenant)
    leads_.limit(AI_API, str(tenant))
    today = leads_.clock.now().date()
    try:
        if isinstance(body, GenerateMessage):
            made = await follow_ups.generate_message(
                leads_.model, lead, [m.turn() for m in body.data.messages], today=today,
                default_language=leads_.default_language)
            return GenerateMessageOut.of(made.reply, made.draft, lead.channel, made.language)
        if body.data.lead_id is None:
            verdict = await leads_.model.analyse(
                as_asked(lead, leads_.default_language), today)
            return AnalyzeLeadOut(analysis=verdict, lead=None)
        record, verdict = await lead_analysis.analyse_now(
            leads_.store, leads_.model, leads_.clock, tenant, body.data.lead_id,
            default_language=leads_.default_language)
        return AnalyzeLeadOut(analysis=verdict, lead=LeadOut.of(record))
    except ModelFailed as exc:
        raise _unavailable(exc) from None
