"""An assistant's links to its tools and knowledge files (seed 001's
``/api/assistants/{id}/tools`` and ``/files``).

Only the caller's own tools and files can be linked to the caller's own assistants.
Each command locks the linked side first (``share``), then the assistant (``update``),
the same order every command uses; linking what is linked already, or unlinking what
is not, appends nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from ringbook.clock import Clock
from ringbook.contracts.catalog import (
    AssistantFileLinkConfigured,
    AssistantFileLinked,
    AssistantFileUnlinked,
    AssistantToolLinked,
    AssistantToolUnlinked,
)

from catalog_service.application.assistants import ASSISTANT
from catalog_service.application.errors import NotFound, UnknownIds
from catalog_service.application.events import EventBatch
from catalog_service.application.ports import CatalogTransaction, UnitOfWork
from catalog_service.domain.records import AssistantLinks, AssistantRecord


async def _locked(tx: CatalogTransaction, tenant_id: uuid.UUID, assistant_id: uuid.UUID
                  ) -> tuple[AssistantRecord, AssistantLinks]:
    record = await tx.assistants.get(tenant_id, assistant_id, lock="update")
    if record is None:
        raise NotFound(ASSISTANT)
    return record, (await tx.assistants.links([assistant_id]))[assistant_id]


async def assistant_links(uow: UnitOfWork, tenant_id: uuid.UUID, assistant_id: uuid.UUID
                          ) -> AssistantLinks:
    async with uow.transaction() as tx:
        if await tx.assistants.get(tenant_id, assistant_id) is None:
            raise NotFound(ASSISTANT)
        return (await tx.assistants.links([assistant_id]))[assistant_id]


async def link_tools(uow: UnitOfWork, clock: Clock, tenant_id: uuid.UUID,
                     assistant_id: uuid.UUID, tool_ids: Sequence[uuid.UUID], *,
                     field: str = "tool_ids") -> AssistantLinks:
    wanted = list(dict.fromkeys(tool_ids))
    async with uow.transaction() as tx:
        # The assistant first only to answer 404 before 422; it is locked below.
        if await tx.assistants.get(tenant_id, assistant_id) is None:
            raise NotFound(ASSISTANT)
        if missing := set(wanted) - await tx.tools.owned(tenant_id, wanted, lock="share"):
            raise UnknownIds(field, missing)
        record, links = await _locked(tx, tenant_id, assistant_id)
        have = {t.id for t in links.tools}
        batch = EventBatch(tenant_id, clock)
        for tool_id in wanted:
            if tool_id not in have:
                batch.add(assistant_id, AssistantToolLinked(tool_id=tool_id), after=record.version)
        await tx.record(batch.events)
        return (await tx.assistants.links([assistant_id]))[assistant_id]


async def unlink_tool(uow: UnitOfWork, clock: Clock, tenant_id: uuid.UUID,
                      assistant_id: uuid.UUID, tool_id: uuid.UUID) -> AssistantLinks:
    async with uow.transaction() as tx:
        record, links = await _locked(tx, tenant_id, assistant_id)
        if tool_id not in {t.id for t in links.tools}:
            raise NotFound("Tool link")
        batch = EventBatch(tenant_id, clock)
        batch.add(assistant_id, AssistantToolUnlinked(tool_id=tool_id), after=record.version)
        await tx.record(batch.events)
        return (await tx.assistants.links([assistant_id]))[assistant_id]


async def link_files(uow: UnitOfWork, clock: Clock, tenant_id: uuid.UUID,
                     assistant_id: uuid.UUID, *, files: Sequence[tuple[uuid.UUID, dict[str, Any]]],
                     field: str = "file_ids") -> AssistantLinks:
    """Link each file with its settings; a file linked already gets the settings given
    (``assistant_file_link_configured``) if they differ."""
    wanted = dict(files)
    async with uow.transaction() as tx:
        if await tx.assistants.get(tenant_id, assistant_id) is None:
            raise NotFound(ASSISTANT)
        owned = await tx.files.owned(tenant_id, list(wanted), lock="share")
        if missing := set(wanted) - owned:
            raise UnknownIds(field, missing)
        record, links = await _locked(tx, tenant_id, assistant_id)
        have = {f.id: f.settings for f in links.files}
        batch = EventBatch(tenant_id, clock)
        for file_id, settings in wanted.items():
            if file_id not in have:
                batch.add(assistant_id, AssistantFileLinked(file_id=file_id, settings=settings),
                          after=record.version)
            elif settings and have[file_id] != settings:
                batch.add(assistant_id,
                          AssistantFileLinkConfigured(file_id=file_id, settings=settings),
                          after=record.version)
        await tx.record(batch.events)
        return (await tx.assistants.links([assistant_id]))[assistant_id]


async def configure_file_link(uow: UnitOfWork, clock: Clock, tenant_id: uuid.UUID,
                              assistant_id: uuid.UUID, *, file_id: uuid.UUID,
                              settings: dict[str, Any]) -> AssistantLinks:
    async with uow.transaction() as tx:
        record, links = await _locked(tx, tenant_id, assistant_id)
        current = {f.id: f.settings for f in links.files}
        if file_id not in current:
            raise NotFound("File link")
        if current[file_id] != settings:
            batch = EventBatch(tenant_id, clock)
            batch.add(assistant_id,
                      AssistantFileLinkConfigured(file_id=file_id, settings=settings),
                      after=record.version)
            await tx.record(batch.events)
        return (await tx.assistants.links([assistant_id]))[assistant_id]


async def unlink_file(uow: UnitOfWork, clock: Clock, tenant_id: uuid.UUID,
                      assistant_id: uuid.UUID, file_id: uuid.UUID) -> AssistantLinks:
    async with uow.transaction() as tx:
        record, links = await _locked(tx, tenant_id, assistant_id)
        if file_id not in {f.id for f in links.files}:
            raise NotFound("File link")
        batch = EventBatch(tenant_id, clock)
        batch.add(assistant_id, AssistantFileUnlinked(file_id=file_id), after=record.version)
        await tx.record(batch.events)
        return (await tx.assistants.links([assistant_id]))[assistant_id]
