"""Assistants: create, change, delete, and their links to tools and files.

Each command is one transaction: the events it decides are recorded (event store,
outbox and read models together) or nothing is. Locks are always taken in one order,
the linked side first (tools and files, ``share``: they may not be deleted until this
commits), then the assistant, then its phone numbers, so two commands never wait on
each other in a circle. A change of the assistant's own fields is optimistic: it appends
the version after the one it read, and loses to a concurrent writer (ConcurrencyConflict).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ringbook.clock import Clock
from ringbook.contracts.catalog import (
    AssistantCreated,
    AssistantDeleted,
    AssistantFileLinked,
    AssistantFileUnlinked,
    AssistantState,
    AssistantToolLinked,
    AssistantToolUnlinked,
    AssistantUpdated,
    PhoneNumberUpdated,
)
from ringbook.ids import new_id

from catalog_service.application.errors import NotFound, UnknownIds
from catalog_service.application.events import EventBatch
from catalog_service.application.ports import CatalogTransaction, UnitOfWork
from catalog_service.domain.assistants import NotInEffect, not_in_effect
from catalog_service.domain.records import AssistantLinks, AssistantRecord

ASSISTANT = "Assistant"


@dataclass(frozen=True)
class AssistantView:
    record: AssistantRecord
    links: AssistantLinks
    not_in_effect: list[NotInEffect]


@dataclass(frozen=True)
class AssistantDeletion:
    assistant_id: uuid.UUID
    released_numbers: list[str]  # E.164, now answered by the default receptionist


async def _view(tx: CatalogTransaction, record: AssistantRecord) -> AssistantView:
    links = await tx.assistants.links([record.id])
    return AssistantView(record, links[record.id], not_in_effect(record.state))


async def _reread(tx: CatalogTransaction, tenant_id: uuid.UUID, assistant_id: uuid.UUID
                  ) -> AssistantView:
    record = await tx.assistants.get(tenant_id, assistant_id)
    assert record is not None, "recorded in this transaction"
    return await _view(tx, record)


async def _own_tools(tx: CatalogTransaction, tenant_id: uuid.UUID,
                     tool_ids: Sequence[uuid.UUID], field: str) -> None:
    missing = set(tool_ids) - await tx.tools.owned(tenant_id, tool_ids, lock="share")
    if missing:
        raise UnknownIds(field, missing)


async def _own_files(tx: CatalogTransaction, tenant_id: uuid.UUID,
                     file_ids: Sequence[uuid.UUID], field: str) -> None:
    missing = set(file_ids) - await tx.files.owned(tenant_id, file_ids, lock="share")
    if missing:
        raise UnknownIds(field, missing)


def _unique(ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    return list(dict.fromkeys(ids))


async def get_assistant(uow: UnitOfWork, tenant_id: uuid.UUID, assistant_id: uuid.UUID
                        ) -> AssistantView:
    async with uow.transaction() as tx:
        record = await tx.assistants.get(tenant_id, assistant_id)
        if record is None:
            raise NotFound(ASSISTANT)
        return await _view(tx, record)


async def list_assistants(uow: UnitOfWork, tenant_id: uuid.UUID) -> list[AssistantView]:
    async with uow.transaction() as tx:
        records = await tx.assistants.all(tenant_id)
        links = await tx.assistants.links([r.id for r in records])
        return [AssistantView(r, links[r.id], not_in_effect(r.state)) for r in records]


async def create_assistant(
    uow: UnitOfWork, clock: Clock, tenant_id: uuid.UUID, state: AssistantState, *,
    tool_ids: Sequence[uuid.UUID] = (), file_ids: Sequence[uuid.UUID] = (),
) -> AssistantView:
    assistant_id = new_id()
    tools, files = _unique(tool_ids), _unique(file_ids)
    async with uow.transaction() as tx:
        await _own_tools(tx, tenant_id, tools, "tool_ids")
        await _own_files(tx, tenant_id, files, "file_ids")
        batch = EventBatch(tenant_id, clock)
        batch.add(assistant_id, AssistantCreated(**state.model_dump()), after=0)
        for tool_id in tools:
            batch.add(assistant_id, AssistantToolLinked(tool_id=tool_id), after=0)
        for file_id in files:
            batch.add(assistant_id, AssistantFileLinked(file_id=file_id), after=0)
        await tx.record(batch.events)
        return await _reread(tx, tenant_id, assistant_id)


async def update_assistant(
    uow: UnitOfWork, clock: Clock, tenant_id: uuid.UUID, assistant_id: uuid.UUID,
    changes: dict[str, Any], *, tool_ids: Sequence[uuid.UUID] | None = None,
    file_ids: Sequence[uuid.UUID] | None = None,
) -> AssistantView:
    """Change the given fields (the others keep their values); ``tool_ids`` and
    ``file_ids``, when given, become the assistant's whole set of links."""
    async with uow.transaction() as tx:
        if tool_ids is not None:
            await _own_tools(tx, tenant_id, _unique(tool_ids), "tool_ids")
        if file_ids is not None:
            await _own_files(tx, tenant_id, _unique(file_ids), "file_ids")
        record = await tx.assistants.get(tenant_id, assistant_id)
        if record is None:
            raise NotFound(ASSISTANT)
        batch = EventBatch(tenant_id, clock)
        state = AssistantState.model_validate({**record.state.model_dump(), **changes})
        if state != record.state:  # a PUT that changes nothing appends nothing
            batch.add(assistant_id, AssistantUpdated(**state.model_dump()), after=record.version)
        links = (await tx.assistants.links([assistant_id]))[assistant_id]
        if tool_ids is not None:
            _relink_tools(batch, record, links, _unique(tool_ids))
        if file_ids is not None:
            _relink_files(batch, record, links, _unique(file_ids))
        await tx.record(batch.events)
        return await _reread(tx, tenant_id, assistant_id)


def _relink_tools(batch: EventBatch, record: AssistantRecord, links: AssistantLinks,
                  wanted: list[uuid.UUID]) -> None:
    have = [t.id for t in links.tools]
    for tool_id in have:
        if tool_id not in wanted:
            batch.add(record.id, AssistantToolUnlinked(tool_id=tool_id), after=record.version)
    for tool_id in wanted:
        if tool_id not in have:
            batch.add(record.id, AssistantToolLinked(tool_id=tool_id), after=record.version)


def _relink_files(batch: EventBatch, record: AssistantRecord, links: AssistantLinks,
                  wanted: list[uuid.UUID]) -> None:
    have = [f.id for f in links.files]
    for file_id in have:
        if file_id not in wanted:
            batch.add(record.id, AssistantFileUnlinked(file_id=file_id), after=record.version)
    for file_id in wanted:
        if file_id not in have:
            batch.add(record.id, AssistantFileLinked(file_id=file_id), after=record.version)


async def delete_assistant(
    uow: UnitOfWork, clock: Clock, tenant_id: uuid.UUID, assistant_id: uuid.UUID
) -> AssistantDeletion:
    """The assistant goes, its links with it; every number it answered is handed back to
    the default receptionist (``phone_number_updated`` with ``assistant_id`` None)."""
    async with uow.transaction() as tx:
        record = await tx.assistants.get(tenant_id, assistant_id, lock="update")
        if record is None:
            raise NotFound(ASSISTANT)
        batch = EventBatch(tenant_id, clock)
        numbers = await tx.numbers.routed_to(assistant_id)
        for number in numbers:
            state = number.state.model_copy(update={"assistant_id": None})
            batch.add(number.id, PhoneNumberUpdated(**state.model_dump()), after=number.version)
        batch.add(assistant_id, AssistantDeleted(), after=record.version)
        await tx.record(batch.events)
        return AssistantDeletion(assistant_id, [n.state.phone_number for n in numbers])
