"""``/api/assistants/{id}/tools`` and ``/files`` (seed 001): an assistant's links.

POST accepts both shapes the seed's frontends send (a list of ids, or one id, with its
settings for a file); PUT configures a file link's settings; DELETE names the linked
id in the query. Each answers the assistant's links after the change.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from ringbook.web.routing import PlatformRoute

from catalog_service.application import assistant_links as links
from catalog_service.domain.records import AssistantLinks
from catalog_service.entrypoints.assistant_routes import ERRORS
from catalog_service.entrypoints.dependencies import CatalogDep, TenantDep
from catalog_service.entrypoints.envelope import Ok, ok
from catalog_service.entrypoints.schemas_assistants import (
    FileLinkConfiguration,
    FileLinkOut,
    FileLinks,
    LinksOut,
    ToolLinkOut,
    ToolLinks,
    links_out,
)

router = APIRouter(prefix="/api/assistants/{assistant_id}", tags=["assistants"],
                   route_class=PlatformRoute, responses=ERRORS)


def _out(assistant_id: uuid.UUID, found: AssistantLinks) -> LinksOut:
    return LinksOut(assistant_id=assistant_id, **links_out(found))


@router.get("/tools")
async def list_tool_links(assistant_id: uuid.UUID, catalog: CatalogDep, tenant: TenantDep
                          ) -> Ok[list[ToolLinkOut]]:
    found = await links.assistant_links(catalog.uow, tenant, assistant_id)
    return ok(_out(assistant_id, found).tools)


@router.post("/tools")
async def link_tools(assistant_id: uuid.UUID, body: ToolLinks, catalog: CatalogDep,
                     tenant: TenantDep) -> Ok[LinksOut]:
    field = "tool_ids" if body.tool_ids is not None else "tool_id"
    found = await links.link_tools(catalog.uow, catalog.clock, tenant, assistant_id,
                                   body.ids(), field=field)
    return ok(_out(assistant_id, found))


@router.delete("/tools")
async def unlink_tool(assistant_id: uuid.UUID, tool_id: Annotated[uuid.UUID, Query()],
                      catalog: CatalogDep, tenant: TenantDep) -> Ok[LinksOut]:
    found = await links.unlink_tool(catalog.uow, catalog.clock, tenant, assistant_id, tool_id)
    return ok(_out(assistant_id, found))


@router.get("/files")
async def list_file_links(assistant_id: uuid.UUID, catalog: CatalogDep, tenant: TenantDep
                          ) -> Ok[list[FileLinkOut]]:
    found = await links.assistant_links(catalog.uow, tenant, assistant_id)
    return ok(_out(assistant_id, found).files)


@router.post("/files")
async def link_files(assistant_id: uuid.UUID, body: FileLinks, catalog: CatalogDep,
                     tenant: TenantDep) -> Ok[LinksOut]:
    field = "file_ids" if body.file_ids is not None else "file_id"
    found = await links.link_files(catalog.uow, catalog.clock, tenant, assistant_id,
                                   files=body.links(), field=field)
    return ok(_out(assistant_id, found))


@router.put("/files")
async def configure_file_link(assistant_id: uuid.UUID, body: FileLinkConfiguration,
                              catalog: CatalogDep, tenant: TenantDep) -> Ok[LinksOut]:
    found = await links.configure_file_link(catalog.uow, catalog.clock, tenant, assistant_id,
                                            file_id=body.file_id,
                                            settings=body.settings.as_dict())
    return ok(_out(assistant_id, found))


@router.delete("/files")
async def unlink_file(assistant_id: uuid.UUID, file_id: Annotated[uuid.UUID, Query()],
                      catalog: CatalogDep, tenant: TenantDep) -> Ok[LinksOut]:
    found = await links.unlink_file(catalog.uow, catalog.clock, tenant, assistant_id, file_id)
    return ok(_out(assistant_id, found))
