"""The sales team's leads: seed 003's ``GET /leads/needs-action`` (the frontend's
sidebar) and ``/api/leads`` (list with filters and pages, get, change, delete), each
scoped to the caller's tenant."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from ringbook.web.errors import ErrorOut
from ringbook.web.routing import PlatformRoute

from catalog_service.application import leads
from catalog_service.application.lead_ports import LeadFilter, SortOrder
from catalog_service.domain.lead_vocabulary import status_of
from catalog_service.domain.leads import AnalysisState
from catalog_service.entrypoints.dependencies import TenantDep
from catalog_service.entrypoints.lead_dependencies import LeadsDep
from catalog_service.entrypoints.schemas_leads import (
    LeadChange,
    LeadDeletedOut,
    LeadEnvelope,
    LeadOut,
    LeadPageOut,
    LeadsOut,
)

router = APIRouter(tags=["leads"], route_class=PlatformRoute,
                   responses={code: {"model": ErrorOut} for code in (401, 404, 409, 422, 503)})

MAX_PAGE = 200


@router.get("/leads/needs-action")
async def needs_action(leads_: LeadsDep, tenant: TenantDep,
                       limit: Annotated[int, Query(ge=1, le=100)] = 8) -> LeadsOut:
    """Leads needing action, those without a status or analysis first."""
    found = await leads.leads_needing_action(leads_.store, tenant, limit)
    return LeadsOut(leads=[LeadOut.of(r) for r in found])


@router.get("/api/leads")
async def list_leads(
    leads_: LeadsDep, tenant: TenantDep, *,
    status: Annotated[str | None, Query(max_length=40,
                                        description='a status, or "none": without one')] = None,
    needs_action: bool | None = None,
    channel: Annotated[str | None, Query(max_length=40)] = None,
    import_batch_id: uuid.UUID | None = None,
    q: Annotated[str | None, Query(max_length=200,
                                   description="in name, e-mail, phone and notes")] = None,
    analysis: Annotated[AnalysisState | None, Query(
        description="pending: waiting for the model; analyzed; failed")] = None,
    sort: SortOrder = "-created_at",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> LeadPageOut:
    where = LeadFilter(status="none" if status == "none" else status_of(status or ""),
                       needs_action=needs_action, channel=channel,
                       import_batch_id=import_batch_id, search=(q or "").strip() or None,
                       analysis=analysis, sort=sort)
    found, total = await leads.list_leads(leads_.store, tenant, where, limit=limit,
                                          offset=offset)
    return LeadPageOut(leads=[LeadOut.of(r) for r in found], total=total, limit=limit,
                       offset=offset)


@router.get("/api/leads/{lead_id}")
async def get_lead(lead_id: uuid.UUID, leads_: LeadsDep, tenant: TenantDep) -> LeadEnvelope:
    return LeadEnvelope(lead=LeadOut.of(await leads.get_lead(leads_.store, tenant, lead_id)))


@router.patch("/api/leads/{lead_id}")
async def change_lead(lead_id: uuid.UUID, body: LeadChange, leads_: LeadsDep,
                      tenant: TenantDep) -> LeadEnvelope:
    record = await leads.update_lead(leads_.store, leads_.clock, tenant, lead_id,
                                     body.normalised())
    return LeadEnvelope(lead=LeadOut.of(record))


@router.delete("/api/leads/{lead_id}")
async def delete_lead(lead_id: uuid.UUID, leads_: LeadsDep, tenant: TenantDep
                      ) -> LeadDeletedOut:
    await leads.delete_lead(leads_.store, leads_.clock, tenant, lead_id)
    return LeadDeletedOut()


