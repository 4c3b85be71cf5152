"""``/api/clients`` (seed 002): client businesses, in the seed's own bodies
(``{"clients": [...]}``, ``{"client": {...}}``, ``{"message": "Client deleted"}``, errors
``{"error": "..."}``, 422s with the platform's ``details``).

Better than the seed: phone numbers are accepted in any spelling with a country code,
stored and answered in E.164, and refused (422) when no carrier could route them
(the seed's own ``+1-555-0100`` has too few digits); a number already taken by any
business answers 409.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from ringbook.contracts.catalog import ClientState
from ringbook.web.errors import ErrorOut
from ringbook.web.routing import PlatformRoute

from catalog_service.application import clients
from catalog_service.entrypoints.dependencies import CatalogDep, TenantDep
from catalog_service.entrypoints.schemas_numbers import (
    ClientChange,
    ClientCreate,
    ClientDeletedOut,
    ClientEnvelope,
    ClientOut,
    ClientsEnvelope,
)

router = APIRouter(prefix="/api/clients", tags=["clients"], route_class=PlatformRoute,
                   responses={code: {"model": ErrorOut} for code in (401, 404, 409, 422, 503)})


@router.get("")
@router.get("/", include_in_schema=False)
async def list_clients(catalog: CatalogDep, tenant: TenantDep) -> ClientsEnvelope:
    return ClientsEnvelope(clients=[ClientOut.of(r)
                                    for r in await clients.list_clients(catalog.uow, tenant)])


@router.post("", status_code=201)
@router.post("/", status_code=201, include_in_schema=False)
async def create_client(body: ClientCreate, catalog: CatalogDep, tenant: TenantDep
                        ) -> ClientEnvelope:
    record = await clients.create_client(catalog.uow, catalog.clock, tenant,
                                         ClientState(**body.changes()))
    return ClientEnvelope(client=ClientOut.of(record))


@router.get("/{client_id}")
async def get_client(client_id: uuid.UUID, catalog: CatalogDep, tenant: TenantDep
                     ) -> ClientEnvelope:
    return ClientEnvelope(client=ClientOut.of(await clients.get_client(catalog.uow, tenant,
                                                                       client_id)))


@router.put("/{client_id}")
async def update_client(client_id: uuid.UUID, body: ClientChange, catalog: CatalogDep,
                        tenant: TenantDep) -> ClientEnvelope:
    record = await clients.update_client(catalog.uow, catalog.clock, tenant, client_id,
                                         body.changes())
    return ClientEnvelope(client=ClientOut.of(record))


@router.delete("/{client_id}")
async def delete_client(client_id: uuid.UUID, catalog: CatalogDep, tenant: TenantDep
                        ) -> ClientDeletedOut:
    await clients.delete_client(catalog.uow, catalog.clock, tenant, client_id)
    return ClientDeletedOut()
