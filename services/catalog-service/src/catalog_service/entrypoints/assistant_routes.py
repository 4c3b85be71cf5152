"""``/api/assistants`` (seed 001): CRUD, in the seed's envelope."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from ringbook.contracts.catalog import AssistantState
from ringbook.web.routing import PlatformRoute

from catalog_service.application import assistants
from catalog_service.entrypoints.dependencies import CatalogDep, TenantDep
from catalog_service.entrypoints.envelope import Failed, Ok, ok
from catalog_service.entrypoints.schemas_assistants import (
    AssistantChange,
    AssistantCreate,
    AssistantDeletedOut,
    AssistantOut,
)

ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": Failed} for code in (401, 404, 409, 413, 422, 503)}
router = APIRouter(prefix="/api/assistants", tags=["assistants"], route_class=PlatformRoute,
                   responses=ERRORS)


@router.get("/")
@router.get("", include_in_schema=False)
async def list_assistants(catalog: CatalogDep, tenant: TenantDep) -> Ok[list[AssistantOut]]:
    views = await assistants.list_assistants(catalog.uow, tenant)
    return ok([AssistantOut.of(v) for v in views])


@router.post("/", status_code=201)
@router.post("", status_code=201, include_in_schema=False)
async def create_assistant(body: AssistantCreate, catalog: CatalogDep, tenant: TenantDep
                           ) -> Ok[AssistantOut]:
    view = await assistants.create_assistant(
        catalog.uow, catalog.clock, tenant, AssistantState(**body.state_changes()),
        tool_ids=body.tool_ids or [], file_ids=body.file_ids or [],
    )
    return ok(AssistantOut.of(view))


@router.get("/{assistant_id}")
async def get_assistant(assistant_id: uuid.UUID, catalog: CatalogDep, tenant: TenantDep
                        ) -> Ok[AssistantOut]:
    return ok(AssistantOut.of(await assistants.get_assistant(catalog.uow, tenant, assistant_id)))


@router.put("/{assistant_id}")
async def update_assistant(assistant_id: uuid.UUID, body: AssistantChange,
                           catalog: CatalogDep, tenant: TenantDep) -> Ok[AssistantOut]:
    view = await assistants.update_assistant(
        catalog.uow, catalog.clock, tenant, assistant_id, body.state_changes(),
        tool_ids=body.tool_ids, file_ids=body.file_ids,
    )
    return ok(AssistantOut.of(view))


@router.delete("/{assistant_id}")
async def delete_assistant(assistant_id: uuid.UUID, catalog: CatalogDep, tenant: TenantDep
                           ) -> Ok[AssistantDeletedOut]:
    deletion = await assistants.delete_assistant(catalog.uow, catalog.clock, tenant,
                                                 assistant_id)
    numbers = deletion.released_numbers
    return ok(AssistantDeletedOut(
        id=assistant_id,
        phone_numbers_now_answered_by="default_receptionist" if numbers else None,
        phone_numbers=numbers,
    ))
