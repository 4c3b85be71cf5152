"""What the catalog's use cases need from the outside world, as protocols.

Handlers depend on these, never on asyncpg, NATS, Twilio or DNS; the adapters in
``catalog_service.adapters`` implement them, and the unit tests' fakes do too.

Writes go through one :class:`CatalogTransaction`: the events a command decides are
``record``-ed (appended to the event store with their outbox rows AND applied to the
read models) in one Postgres transaction, so the read models never disagree with the
events. Every read takes the tenant and sees only that tenant's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Protocol

from ringbook.events import Envelope

from catalog_service.domain.records import (
    AssistantLinks,
    AssistantRecord,
    BookingRow,
    ClientRecord,
    FileRecord,
    HoursRecord,
    Lock,
    PhoneNumberRecord,
    ScheduleRecord,
    SlotRow,
    ToolRecord,
)


class StoreUnavailable(Exception):
    """Postgres could not be reached: nothing was stored (answered 503)."""


class ConcurrentChange(Exception):
    """Postgres gave up a transaction for a concurrent one (a serialization failure or
    a deadlock): nothing was stored, and the same request may simply be sent again."""


class NumberTaken(Exception):
    """The number is claimed already, by a phone number or a client of any tenant."""

    def __init__(self, number: str) -> None:
        super().__init__(number)
        self.number = number


class DuplicateToolName(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class AssistantRepository(Protocol):
    async def get(
        self, tenant_id: uuid.UUID, assistant_id: uuid.UUID, *, lock: Lock = "none"
    ) -> AssistantRecord | None: ...

    async def all(self, tenant_id: uuid.UUID) -> list[AssistantRecord]:
        """Oldest first."""
        ...

    async def links(self, assistant_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, AssistantLinks]:
        """Each assistant's linked tools and files (every id given has an entry)."""
        ...

    async def linked_to_tool(self, tool_id: uuid.UUID) -> list[AssistantRecord]:
        """The assistants linked to a tool, locked for update, in id order."""
        ...

    async def linked_to_file(self, file_id: uuid.UUID) -> list[AssistantRecord]:
        """The assistants linked to a file, locked for update, in id order."""
        ...


class ToolRepository(Protocol):
    async def get(
        self, tenant_id: uuid.UUID, tool_id: uuid.UUID, *, lock: Lock = "none"
    ) -> ToolRecord | None: ...

    async def all(self, tenant_id: uuid.UUID) -> list[ToolRecord]: ...

    async def owned(
        self, tenant_id: uuid.UUID, tool_ids: Sequence[uuid.UUID], *, lock: Lock = "none"
    ) -> set[uuid.UUID]:
        """Which of ``tool_ids`` are the tenant's (locked as asked)."""
        ...


class FileRepository(Protocol):
    async def get(
        self, tenant_id: uuid.UUID, file_id: uuid.UUID, *, lock: Lock = "none"
    ) -> FileRecord | None: ...

    async def all(self, tenant_id: uuid.UUID) -> list[FileRecord]:
        """Without ``extracted_text`` (None on each)."""
        ...

    async def owned(
        self, tenant_id: uuid.UUID, file_ids: Sequence[uuid.UUID], *, lock: Lock = "none"
    ) -> set[uuid.UUID]: ...


class PhoneNumberRepository(Protocol):
    async def get(
        self, tenant_id: uuid.UUID, number_id: uuid.UUID, *, lock: Lock = "none"
    ) -> PhoneNumberRecord | None: ...

    async def all(self, tenant_id: uuid.UUID) -> list[PhoneNumberRecord]: ...

    async def routed_to(self, assistant_id: uuid.UUID) -> list[PhoneNumberRecord]:
        """The numbers an assistant answers, locked for update, in id order."""
        ...


class ClientRepository(Protocol):
    async def get(
        self, tenant_id: uuid.UUID, client_id: uuid.UUID, *, lock: Lock = "none"
    ) -> ClientRecord | None: ...

    async def all(self, tenant_id: uuid.UUID) -> list[ClientRecord]: ...


class BusinessHoursRepository(Protocol):
    async def get(self, tenant_id: uuid.UUID, number: str) -> HoursRecord | None: ...


class SlotScheduleRepository(Protocol):
    async def get(self, tenant_id: uuid.UUID, business_id: uuid.UUID) -> ScheduleRecord | None:
        ...

    async def by_number(self, number: str) -> ScheduleRecord | None:
        """The schedule of the business that holds ``number`` now (any tenant)."""
        ...

    async def of_tenant(self, tenant_id: uuid.UUID) -> list[ScheduleRecord]: ...


class BookingRepository(Protocol):
    """The slots and bookings tables; the G5 steps, each one statement."""

    async def ensure_slot(self, *, business_id: uuid.UUID, tenant_id: uuid.UUID, day: date,
                          start: time, end: time, capacity: int) -> int:
        """The slot's id, inserting it (with this capacity) if absent."""
        ...

    async def next_number(self) -> int: ...

    async def insert(self, *, number: int, aggregate_id: uuid.UUID, reference: str,
                     business_id: uuid.UUID, tenant_id: uuid.UUID, slot_id: int,
                     customer_name: str, customer_phone: str, idempotency_key: str | None,
                     at: datetime) -> bool:
        """False: a booking with this business and idempotency key exists already."""
        ...

    async def take_place(self, slot_id: int) -> bool:
        """booked + 1 if a place is left; False: the slot is full."""
        ...

    async def free_place(self, slot_id: int) -> None: ...

    async def slots_from(self, business_id: uuid.UUID, day: date
                         ) -> list[tuple[int, date, time]]:
        """(id, date, start) of the business's slot rows on ``day`` and after."""
        ...

    async def set_capacity(self, slot_id: int, capacity: int) -> None:
        """The slot's capacity, never below the places already booked."""
        ...

    async def by_key(self, business_id: uuid.UUID, key: str) -> BookingRow | None: ...

    async def by_reference(self, reference: str, *, tenant_id: uuid.UUID | None = None,
                           business_id: uuid.UUID | None = None) -> BookingRow | None: ...

    async def cancel(self, booking_id: int, at: datetime) -> bool:
        """confirmed -> cancelled; False: it was cancelled already."""
        ...

    async def slots(self, business_id: uuid.UUID, days: Sequence[date]) -> list[SlotRow]: ...

    async def listed(self, tenant_id: uuid.UUID, day: date, business_id: uuid.UUID | None
                     ) -> list[BookingRow]: ...


class CatalogTransaction(Protocol):
    """The catalog's store inside ONE database transaction."""

    @property
    def assistants(self) -> AssistantRepository: ...

    @property
    def tools(self) -> ToolRepository: ...

    @property
    def files(self) -> FileRepository: ...

    @property
    def numbers(self) -> PhoneNumberRepository: ...

    @property
    def clients(self) -> ClientRepository: ...

    @property
    def hours(self) -> BusinessHoursRepository: ...

    @property
    def schedules(self) -> SlotScheduleRepository: ...

    @property
    def bookings(self) -> BookingRepository: ...

    async def version(self, aggregate_id: uuid.UUID) -> int:
        """The aggregate's last version in the event store (0: no event yet)."""
        ...

    async def is_claimed(self, number: str) -> bool: ...

    async def record(self, events: Sequence[Envelope]) -> None:
        """Append the events (with their outbox rows) and apply them to the read models.

        Raises ConcurrencyConflict (another writer appended a version first),
        NumberTaken and DuplicateToolName; the caller's transaction then rolls back."""
        ...


class UnitOfWork(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[CatalogTransaction]:
        """Begin a transaction; raises StoreUnavailable if Postgres cannot be reached."""
        ...


class Sealer(Protocol):
    """Seals secrets before they are stored (``ringbook.secret_box.SecretBox``)."""

    def seal(self, plain: str) -> str: ...

    def open(self, sealed: str) -> str:
        """Raises an exception if the value cannot be opened (tampered, old key)."""
        ...


class EndpointRefused(ValueError):
    """A tool's endpoint may not be requested; the message says why (for its owner)."""


class EndpointGuard(Protocol):
    async def check(self, url: str) -> None:
        """Raise EndpointRefused unless ``url`` is an http(s) URL whose host resolves to
        public addresses only."""
        ...


class NumberNotInAccount(Exception):
    """The carrier account has no such number, so it cannot be imported."""


class ProvisioningUnavailable(Exception):
    """The carrier could not be asked (unreachable, or it refused our request)."""


@dataclass(frozen=True)
class ProvisionedNumber:
    provider: str
    provider_sid: str | None = None
    friendly_name: str | None = None
    capabilities: dict[str, Any] = field(default_factory=dict)


class NumberProvisioning(Protocol):
    async def import_number(self, number: str) -> ProvisionedNumber:
        """Make the carrier send the number's calls to us; raises NumberNotInAccount or
        ProvisioningUnavailable."""
        ...
