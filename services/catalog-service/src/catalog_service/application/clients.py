"""Client businesses whose number the receptionist answers (seed 002's ``clients``).

A client's number is claimed like a phone number's (one business per number, across
all tenants and both kinds); changing it claims the new one and frees the old in the
same transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

from ringbook.clock import Clock
from ringbook.contracts.catalog import ClientCreated, ClientDeleted, ClientState, ClientUpdated
from ringbook.ids import new_id

from catalog_service.application.errors import NotFound
from catalog_service.application.events import EventBatch
from catalog_service.application.phone_numbers import taken
from catalog_service.application.ports import CatalogTransaction, NumberTaken, UnitOfWork
from catalog_service.domain.records import ClientRecord

CLIENT = "Client"


async def _record(tx: CatalogTransaction, batch: EventBatch, number: str) -> None:
    try:
        await tx.record(batch.events)
    except NumberTaken:
        raise taken(number) from None


async def get_client(uow: UnitOfWork, tenant_id: uuid.UUID, client_id: uuid.UUID
                     ) -> ClientRecord:
    async with uow.transaction() as tx:
        record = await tx.clients.get(tenant_id, client_id)
    if record is None:
        raise NotFound(CLIENT)
    return record


async def list_clients(uow: UnitOfWork, tenant_id: uuid.UUID) -> list[ClientRecord]:
    async with uow.transaction() as tx:
        return await tx.clients.all(tenant_id)


async def create_client(uow: UnitOfWork, clock: Clock, tenant_id: uuid.UUID,
                        state: ClientState) -> ClientRecord:
    client_id = new_id()
    async with uow.transaction() as tx:
        batch = EventBatch(tenant_id, clock)
        batch.add(client_id, ClientCreated(**state.model_dump()), after=0)
        await _record(tx, batch, state.phone_number)
        record = await tx.clients.get(tenant_id, client_id)
    assert record is not None
    return record


async def update_client(uow: UnitOfWork, clock: Clock, tenant_id: uuid.UUID,
                        client_id: uuid.UUID, changes: dict[str, Any]) -> ClientRecord:
    async with uow.transaction() as tx:
        record = await tx.clients.get(tenant_id, client_id)
        if record is None:
            raise NotFound(CLIENT)
        state = ClientState.model_validate({**record.state.model_dump(), **changes})
        if state != record.state:
            batch = EventBatch(tenant_id, clock)
            batch.add(client_id, ClientUpdated(**state.model_dump()), after=record.version)
            await _record(tx, batch, state.phone_number)
            record = await tx.clients.get(tenant_id, client_id)
    assert record is not None
    return record


async def delete_client(uow: UnitOfWork, clock: Clock, tenant_id: uuid.UUID,
                        client_id: uuid.UUID) -> None:
    async with uow.transaction() as tx:
        record = await tx.clients.get(tenant_id, client_id, lock="update")
        if record is None:
            raise NotFound(CLIENT)
        batch = EventBatch(tenant_id, clock)
        batch.add(client_id, ClientDeleted(phone_number=record.state.phone_number),
                  after=record.version)
        await tx.record(batch.events)
