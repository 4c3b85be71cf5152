"""What the use cases need from the outside world, as protocols.

Handlers depend on these, never on asyncpg or argon2, so each rule (idempotency, the
cancel check, the projection) reads as the rule itself; the asyncpg adapters in
``request_service.adapters`` implement them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from ringbook.contracts.request_status import RequestStatus
from ringbook.events import Envelope

from request_service.domain.requests import (
    CallRequest,
    Owner,
    RequestRecord,
    TimelineEntry,
)
from request_service.domain.users import User


class StoreUnavailable(Exception):
    """Postgres could not be reached: nothing was stored (answered 503, never 202)."""


class EmailAlreadyRegistered(Exception):
    pass


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Store a new user; raises EmailAlreadyRegistered (case-insensitive)."""
        ...

    async def by_email(self, email: str) -> User | None: ...

    async def by_id(self, user_id: uuid.UUID) -> User | None: ...

    async def set_password_hash(
        self, user_id: uuid.UUID, password_hash: str, at: datetime
    ) -> None: ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool:
        """False for a wrong password or an unreadable hash; never raises for either."""
        ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class RequestTransaction(Protocol):
    """The request store inside ONE database transaction: everything a use case writes
    through it commits together (event + outbox + read model + timeline) or not at all.
    """

    async def lock(self, request_id: uuid.UUID) -> RequestRecord | None:
        """Read the request and lock it until commit. Every writer of a request's
        status or timeline takes this lock first, which serializes them per request."""
        ...

    async def current_version(self, request_id: uuid.UUID) -> int:
        """The last version of the ``request`` aggregate in our event store (0: none)."""
        ...

    async def append(self, events: Sequence[Envelope]) -> None:
        """Append to the event store and outbox; raises ConcurrencyConflict."""
        ...

    async def set_status(
        self,
        request_id: uuid.UUID,
        status: RequestStatus,
        *,
        at: datetime,
        summary: str | None = None,
    ) -> None: ...

    async def add_timeline(
        self, request_id: uuid.UUID, event: Envelope, status: RequestStatus
    ) -> None: ...

    async def in_order(self, consumer: str, event: Envelope) -> bool:
        """True if ``event`` is its aggregate's next version for ``consumer``;
        False if already applied; raises RetryLater on a gap."""
        ...


class UnitOfWork(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[RequestTransaction]:
        """Begin a transaction; raises StoreUnavailable if Postgres cannot be reached."""
        ...

    async def accept(
        self, request: CallRequest, event: Envelope, *, tenant_id: uuid.UUID,
        status: RequestStatus,
    ) -> RequestRecord | None:
        """Store a new request atomically: ``event`` (version 1) with its outbox row,
        the read-model row in ``status`` and its first timeline entry. If the id is
        stored already, store nothing and return the stored request. Raises
        ConcurrencyConflict if another accept of this id committed meanwhile, and
        StoreUnavailable if Postgres cannot be reached."""
        ...


class RequestQueries(Protocol):
    """Reads, outside any write transaction."""

    async def get(self, request_id: uuid.UUID, owner: Owner) -> RequestRecord | None: ...

    async def page(
        self, owner: Owner, *, status: RequestStatus | None, limit: int, offset: int
    ) -> tuple[list[RequestRecord], int]:
        """One page of the owner's requests, newest first, and the total count."""
        ...

    async def timeline(self, request_id: uuid.UUID) -> list[TimelineEntry]:
        """All entries in occurrence order (occurred_at, then seq)."""
        ...

    async def timeline_after(
        self, request_id: uuid.UUID, seq: int, *, limit: int = 500
    ) -> list[TimelineEntry]:
        """Entries with a larger seq, in seq order (the order a stream resumes in)."""
        ...
