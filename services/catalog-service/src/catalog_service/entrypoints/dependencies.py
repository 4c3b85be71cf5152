"""What routes receive: the catalog's collaborators, wired once the runtime has started
(the pool exists only then), as an ``Annotated`` dependency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from ringbook.web.state import wired

from catalog_service.application.ports import BusinessHoursRepository


@dataclass(frozen=True)
class Catalog:
    """The use cases' collaborators for this process (``app.state.catalog``)."""

    hours: BusinessHoursRepository


def get_catalog(request: Request) -> Catalog:
    return wired(request, "catalog", Catalog)


CatalogDep = Annotated[Catalog, Depends(get_catalog)]
