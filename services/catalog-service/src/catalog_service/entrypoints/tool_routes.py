"""``/api/tools`` (seed 001): HTTP tools, their secrets sealed and masked."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from ringbook.web.routing import PlatformRoute

from catalog_service.application import tools
from catalog_service.entrypoints.assistant_routes import ERRORS
from catalog_service.entrypoints.dependencies import CatalogDep, TenantDep
from catalog_service.entrypoints.envelope import Ok, ok
from catalog_service.entrypoints.schemas_tools import (
    ToolChange,
    ToolCreate,
    ToolDeletedOut,
    ToolOut,
)

router = APIRouter(prefix="/api/tools", tags=["tools"], route_class=PlatformRoute,
                   responses=ERRORS)


@router.get("/")
@router.get("", include_in_schema=False)
async def list_tools(catalog: CatalogDep, tenant: TenantDep) -> Ok[list[ToolOut]]:
    views = await tools.list_tools(catalog.uow, catalog.tool_secrets, tenant)
    return ok([ToolOut.of(v) for v in views])


@router.post("/", status_code=201)
@router.post("", status_code=201, include_in_schema=False)
async def create_tool(body: ToolCreate, catalog: CatalogDep, tenant: TenantDep) -> Ok[ToolOut]:
    """The answer shows the new signing secret in full, once."""
    view = await tools.create_tool(catalog.uow, catalog.clock, catalog.tool_secrets,
                                   catalog.endpoints, tenant, definition=body.definition())
    return ok(ToolOut.of(view))


@router.get("/{tool_id}")
async def get_tool(tool_id: uuid.UUID, catalog: CatalogDep, tenant: TenantDep) -> Ok[ToolOut]:
    return ok(ToolOut.of(await tools.get_tool(catalog.uow, catalog.tool_secrets, tenant,
                                              tool_id)))


@router.put("/{tool_id}")
async def update_tool(tool_id: uuid.UUID, body: ToolChange, catalog: CatalogDep,
                      tenant: TenantDep) -> Ok[ToolOut]:
    view = await tools.update_tool(catalog.uow, catalog.clock, catalog.tool_secrets,
                                   catalog.endpoints, tenant, tool_id=tool_id,
                                   changes=body.change_set())
    return ok(ToolOut.of(view))


@router.post("/{tool_id}/rotate-signing-secret")
async def rotate_signing_secret(tool_id: uuid.UUID, catalog: CatalogDep, tenant: TenantDep
                                ) -> Ok[ToolOut]:
    """A new signing secret, shown in full in this answer only; the old one stops
    signing at once."""
    view = await tools.update_tool(catalog.uow, catalog.clock, catalog.tool_secrets,
                                   catalog.endpoints, tenant, tool_id=tool_id, changes={},
                                   rotate_signing_secret=True)
    return ok(ToolOut.of(view))


@router.delete("/{tool_id}")
async def delete_tool(tool_id: uuid.UUID, catalog: CatalogDep, tenant: TenantDep
                      ) -> Ok[ToolDeletedOut]:
    unlinked = await tools.delete_tool(catalog.uow, catalog.clock, tenant, tool_id)
    return ok(ToolDeletedOut(id=tool_id, unlinked_from_assistants=unlinked))
