"""What routes receive: the catalog's collaborators, wired once the runtime has started
(the pool exists only then), and the caller's tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from ringbook.clock import Clock
from ringbook.web.rate_limits import RateLimits
from ringbook.web.security import CurrentPrincipal
from ringbook.web.state import wired

from catalog_service.application.blob_store import BlobStore
from catalog_service.application.knowledge_files import Classify
from catalog_service.application.ports import (
    EndpointGuard,
    NumberProvisioning,
    UnitOfWork,
)
from catalog_service.application.tools import ToolSecrets


@dataclass(frozen=True)
class Catalog:
    """The use cases' collaborators for this process (``app.state.catalog``)."""

    uow: UnitOfWork
    clock: Clock
    tool_secrets: ToolSecrets
    endpoints: EndpointGuard
    provisioning: NumberProvisioning
    blobs: BlobStore
    classify: Classify
    file_max_bytes: int
    limits: RateLimits = field(default_factory=lambda: RateLimits({}))


async def get_catalog(request: Request) -> Catalog:
    return wired(request, "catalog", Catalog)


async def get_tenant(principal: CurrentPrincipal) -> uuid.UUID:
    return principal.tenant_id


CatalogDep = Annotated[Catalog, Depends(get_catalog)]
# Every resource belongs to the caller's tenant; every query is scoped to it.
TenantDep = Annotated[uuid.UUID, Depends(get_tenant)]
