"""An in-memory catalog store for the use cases' unit tests: the ports of
``catalog_service.application.ports``, with the guarantees the real one gives that the
handlers rely on (a version appended twice conflicts, a number is claimed once, a tool
name is unique per tenant, a failed transaction leaves nothing behind). Locks are not
modelled: concurrency is proved against Postgres in the integration tests."""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from ringbook.contracts import catalog as c
from ringbook.events import Envelope, EventData
from ringbook.store.event_store import ConcurrencyConflict

from catalog_service.application.ports import DuplicateToolName, NumberTaken
from catalog_service.domain.records import (
    AssistantLinks,
    AssistantRecord,
    ClientRecord,
    FileRecord,
    HoursRecord,
    LinkedFile,
    LinkedTool,
    Lock,
    PhoneNumberRecord,
    Record,
    ToolRecord,
    ToolUsage,
)


@dataclass
class _Data:
    events: list[Envelope] = field(default_factory=list)
    assistants: dict[uuid.UUID, AssistantRecord] = field(default_factory=dict)
    tools: dict[uuid.UUID, ToolRecord] = field(default_factory=dict)
    files: dict[uuid.UUID, FileRecord] = field(default_factory=dict)
    numbers: dict[uuid.UUID, PhoneNumberRecord] = field(default_factory=dict)
    clients: dict[uuid.UUID, ClientRecord] = field(default_factory=dict)
    hours: dict[uuid.UUID, HoursRecord] = field(default_factory=dict)
    tool_links: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)
    file_links: dict[uuid.UUID, dict[uuid.UUID, dict[str, Any]]] = field(default_factory=dict)
    claims: dict[str, uuid.UUID] = field(default_factory=dict)


def _mine(rows: dict[uuid.UUID, Any], tenant_id: uuid.UUID, key: uuid.UUID) -> Any:
    row = rows.get(key)
    return row if row is not None and row.tenant_id == tenant_id else None


class FakeTransaction:
    def __init__(self, data: _Data) -> None:
        self.data = data
        self.assistants, self.tools, self.files = self, _Tools(data), _Files(data)
        self.numbers, self.clients, self.hours = _Numbers(data), _Clients(data), _Hours(data)

    # --- AssistantRepository (on self) ----------------------------------------------------

    async def get(self, tenant_id: uuid.UUID, assistant_id: uuid.UUID, *, lock: Lock = "none"
                  ) -> AssistantRecord | None:
        found: AssistantRecord | None = _mine(self.data.assistants, tenant_id, assistant_id)
        return found

    async def all(self, tenant_id: uuid.UUID) -> list[AssistantRecord]:
        return [a for a in self.data.assistants.values() if a.tenant_id == tenant_id]

    async def links(self, assistant_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, AssistantLinks]:
        d = self.data
        return {i: AssistantLinks(
            tools=[LinkedTool(t, d.tools[t].state.name, d.tools[t].state.endpoint)
                   for t in d.tool_links.get(i, [])],
            files=[LinkedFile(f, d.files[f].filename, d.files[f].status, s)
                   for f, s in d.file_links.get(i, {}).items()],
        ) for i in assistant_ids}

    async def linked_to_tool(self, tool_id: uuid.UUID) -> list[AssistantRecord]:
        return [self.data.assistants[a] for a, tools in sorted(self.data.tool_links.items())
                if tool_id in tools]

    async def linked_to_file(self, file_id: uuid.UUID) -> list[AssistantRecord]:
        return [self.data.assistants[a] for a, files in sorted(self.data.file_links.items())
                if file_id in files]

    # --- the transaction ------------------------------------------------------------------

    async def version(self, aggregate_id: uuid.UUID) -> int:
        return max((e.version for e in self.data.events if e.aggregate_id == aggregate_id),
                   default=0)

    async def is_claimed(self, number: str) -> bool:
        return number in self.data.claims

    async def record(self, events: Sequence[Envelope]) -> None:
        for event in events:
            if any(e.aggregate_id == event.aggregate_id and e.version == event.version
                   for e in self.data.events):
                raise ConcurrencyConflict(event.aggregate_id, event.version)
            self.data.events.append(event)
            _apply(self.data, event)


class _Tools:
    def __init__(self, data: _Data) -> None:
        self.data = data

    async def get(self, tenant_id: uuid.UUID, tool_id: uuid.UUID, *, lock: Lock = "none"
                  ) -> ToolRecord | None:
        tool = self.data.tools.get(tool_id)
        return tool if tool is not None and tool.record.tenant_id == tenant_id else None

    async def all(self, tenant_id: uuid.UUID) -> list[ToolRecord]:
        return [t for t in self.data.tools.values() if t.record.tenant_id == tenant_id]

    async def owned(self, tenant_id: uuid.UUID, tool_ids: Sequence[uuid.UUID], *,
                    lock: Lock = "none") -> set[uuid.UUID]:
        return {i for i in tool_ids if await self.get(tenant_id, i) is not None}


class _Files:
    def __init__(self, data: _Data) -> None:
        self.data = data

    async def get(self, tenant_id: uuid.UUID, file_id: uuid.UUID, *, lock: Lock = "none"
                  ) -> FileRecord | None:
        found: FileRecord | None = _mine(self.data.files, tenant_id, file_id)
        return found

    async def all(self, tenant_id: uuid.UUID) -> list[FileRecord]:
        return [replace(f, extracted_text=None) for f in self.data.files.values()
                if f.tenant_id == tenant_id]

    async def owned(self, tenant_id: uuid.UUID, file_ids: Sequence[uuid.UUID], *,
                    lock: Lock = "none") -> set[uuid.UUID]:
        return {i for i in file_ids if _mine(self.data.files, tenant_id, i) is not None}


class _Numbers:
    def __init__(self, data: _Data) -> None:
        self.data = data

    async def get(self, tenant_id: uuid.UUID, number_id: uuid.UUID, *, lock: Lock = "none"
                  ) -> PhoneNumberRecord | None:
        found: PhoneNumberRecord | None = _mine(self.data.numbers, tenant_id, number_id)
        return found

    async def all(self, tenant_id: uuid.UUID) -> list[PhoneNumberRecord]:
        return [n for n in self.data.numbers.values() if n.tenant_id == tenant_id]

    async def routed_to(self, assistant_id: uuid.UUID) -> list[PhoneNumberRecord]:
        return sorted((n for n in self.data.numbers.values()
                       if n.state.assistant_id == assistant_id), key=lambda n: n.id)


class _Clients:
    def __init__(self, data: _Data) -> None:
        self.data = data

    async def get(self, tenant_id: uuid.UUID, client_id: uuid.UUID, *, lock: Lock = "none"
                  ) -> ClientRecord | None:
        found: ClientRecord | None = _mine(self.data.clients, tenant_id, client_id)
        return found

    async def all(self, tenant_id: uuid.UUID) -> list[ClientRecord]:
        return [r for r in self.data.clients.values() if r.tenant_id == tenant_id]


class _Hours:
    def __init__(self, data: _Data) -> None:
        self.data = data

    async def get(self, tenant_id: uuid.UUID, number: str) -> HoursRecord | None:
        return next((h for h in self.data.hours.values()
                     if h.tenant_id == tenant_id and h.number == number), None)


def _snapshot(model: type[EventData], rows: dict[uuid.UUID, Any], e: Envelope) -> None:
    state = model(**e.data.model_dump())
    old = rows.get(e.aggregate_id)
    rows[e.aggregate_id] = Record(e.aggregate_id, e.tenant_id, e.version,
                                  old.created_at if old else e.occurred_at, e.occurred_at, state)


def _bump(data: _Data, e: Envelope) -> None:
    data.assistants[e.aggregate_id] = replace(data.assistants[e.aggregate_id],
                                              version=e.version, updated_at=e.occurred_at)


def _claim(data: _Data, number: str, holder: uuid.UUID) -> None:
    if data.claims.get(number, holder) != holder:
        raise NumberTaken(number)
    for claimed, who in list(data.claims.items()):
        if who == holder:
            del data.claims[claimed]
    data.claims[number] = holder


def _apply(data: _Data, e: Envelope) -> None:
    d, i = e.data, e.aggregate_id
    if isinstance(d, c.AssistantState):
        _snapshot(c.AssistantState, data.assistants, e)
    elif isinstance(d, c.AssistantDeleted):
        del data.assistants[i]
        data.tool_links.pop(i, None)
        data.file_links.pop(i, None)
    elif isinstance(d, c.AssistantToolLinked):
        data.tool_links.setdefault(i, []).append(d.tool_id)
        _bump(data, e)
    elif isinstance(d, c.AssistantToolUnlinked):
        data.tool_links[i].remove(d.tool_id)
        _bump(data, e)
    elif isinstance(d, c.AssistantFileLinked | c.AssistantFileLinkConfigured):
        data.file_links.setdefault(i, {})[d.file_id] = dict(d.settings)
        _bump(data, e)
    elif isinstance(d, c.AssistantFileUnlinked):
        del data.file_links[i][d.file_id]
        _bump(data, e)
    elif isinstance(d, c.ToolState):
        if any(t.state.name.lower() == d.name.lower() and t.record.tenant_id == e.tenant_id
               and t.id != i for t in data.tools.values()):
            raise DuplicateToolName(d.name)
        rows: dict[uuid.UUID, Any] = {k: t.record for k, t in data.tools.items()}
        _snapshot(c.ToolState, rows, e)
        usage = data.tools[i].usage if i in data.tools else ToolUsage()
        data.tools[i] = ToolRecord(rows[i], usage)
    elif isinstance(d, c.ToolDeleted):
        del data.tools[i]
    elif isinstance(d, c.FileUploaded):
        data.files[i] = FileRecord(
            i, e.tenant_id, d.filename, d.original_name, d.file_type, d.file_size, d.s3_url,
            d.description, "uploading", None, None, None, None, e.version, e.occurred_at,
            e.occurred_at)
    elif isinstance(d, c.FileUpdated):
        data.files[i] = replace(data.files[i], filename=d.filename, description=d.description,
                                version=e.version, updated_at=e.occurred_at)
    elif isinstance(d, c.FileDeleted):
        del data.files[i]
    elif isinstance(d, c.PhoneNumberState):
        _claim(data, d.phone_number, i)
        _snapshot(c.PhoneNumberState, data.numbers, e)
    elif isinstance(d, c.ClientState):
        _claim(data, d.phone_number, i)
        _snapshot(c.ClientState, data.clients, e)
    elif isinstance(d, c.PhoneNumberReleased | c.ClientDeleted):
        data.numbers.pop(i, None)
        data.clients.pop(i, None)
        data.claims.pop(d.phone_number, None)
    elif isinstance(d, c.BusinessHoursSet):
        data.hours[i] = HoursRecord(i, e.tenant_id, d.number, d.weekly_hours, d.timezone,
                                    e.version, e.occurred_at)
    elif isinstance(d, c.BusinessHoursCleared):
        del data.hours[i]
    else:
        raise ValueError(f"the fake store does not record {e.type}")


class FakeUnitOfWork:
    """Transactions over one in-memory store; a transaction that raises is undone."""

    def __init__(self) -> None:
        self.data = _Data()

    @property
    def events(self) -> list[Envelope]:
        return self.data.events

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[FakeTransaction]:
        saved = copy.deepcopy(self.data)
        try:
            yield FakeTransaction(self.data)
        except BaseException:
            self.data.__dict__.update(saved.__dict__)
            raise
