"""What the catalog's read models hold: an aggregate's last snapshot with its bookkeeping,
and the views built from several of them (an assistant's links, a tool's usage)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Generic, Literal, TypeVar

from ringbook.contracts.catalog import (
    AssistantState,
    ClientState,
    PhoneNumberState,
    ToolState,
)
from ringbook.events import EventData

S = TypeVar("S", bound=EventData)

# How a read inside a write transaction locks the rows it reads:
# "share": the row may not be deleted until commit (it is about to be linked to);
# "update": the row is about to be deleted or rewritten by this transaction.
Lock = Literal["none", "share", "update"]


@dataclass(frozen=True)
class Record(Generic[S]):
    """An aggregate's current state (its last snapshot), as its projection row holds it;
    ``version`` is the version of the last event applied."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    version: int
    created_at: datetime
    updated_at: datetime
    state: S


AssistantRecord = Record[AssistantState]
PhoneNumberRecord = Record[PhoneNumberState]
ClientRecord = Record[ClientState]


@dataclass(frozen=True)
class LinkedTool:
    id: uuid.UUID
    name: str
    endpoint: str


@dataclass(frozen=True)
class LinkedFile:
    id: uuid.UUID
    filename: str
    status: str
    settings: dict[str, Any]


@dataclass(frozen=True)
class AssistantLinks:
    tools: list[LinkedTool] = field(default_factory=list)
    files: list[LinkedFile] = field(default_factory=list)


@dataclass(frozen=True)
class ToolUsage:
    """Figures projected from the CALLS stream's ``tool_used`` events."""

    total_calls: int = 0
    last_used: datetime | None = None
    avg_response_time: float | None = None  # milliseconds, mean over total_calls


@dataclass(frozen=True)
class ToolRecord:
    record: Record[ToolState]
    usage: ToolUsage

    @property
    def id(self) -> uuid.UUID:
        return self.record.id

    @property
    def state(self) -> ToolState:
        return self.record.state


@dataclass(frozen=True)
class FileRecord:
    """A ``knowledge_files`` row (seed 001's ``files``)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    filename: str
    original_name: str
    file_type: str
    file_size: int
    s3_url: str
    description: str | None
    status: str
    error: str | None
    language: str | None
    chunk_count: int | None
    extracted_text: str | None
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class HoursRecord:
    id: uuid.UUID
    tenant_id: uuid.UUID
    number: str
    weekly_hours: str
    timezone: str | None
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class ScheduleRecord:
    """A business's slot schedule (the ``slot_schedules`` read model)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    business_kind: str
    business_id: uuid.UUID
    business_name: str
    number: str
    timezone: str
    reference_prefix: str
    weekly: list[dict[str, Any]]
    exceptions: list[dict[str, Any]]
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class BookingRow:
    id: int
    aggregate_id: uuid.UUID
    reference: str
    business_id: uuid.UUID
    tenant_id: uuid.UUID
    slot_id: int
    customer_name: str
    customer_phone: str
    status: str
    created_at: datetime
    cancelled_at: datetime | None
    slot_date: date
    start_time: time
    end_time: time


@dataclass(frozen=True)
class SlotRow:
    slot_date: date
    start_time: time
    end_time: time
    capacity: int
    booked: int
