"""What the orchestrator's use cases need from their store, as protocols.

The use cases decide (when to dial, what a callback means, what a cancel ends); these
ports say what they read and write, and the asyncpg adapters in
``call_orchestrator.adapters`` implement them. The carrier is the other port
(``application.telephony``). ``CatalogProjection`` is catalog-service's configuration
as this service keeps it: written only by the catalog consumer, read by the others.

Everything a use case does through one ``Transaction`` commits together or not at all:
its events (with their outbox rows), the job's state, its timer, its attempts, a
hang-up to do. Locks taken through it (``lock``, ``try_lock``, ``serialize_request``)
are held until that commit. Lock order, everywhere: the dial bucket, then the job,
then its attempts and timer; the opposite order could deadlock two writers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Protocol

from ringbook.events import Envelope

from call_orchestrator.domain.attempts import Attempt, AttemptState
from call_orchestrator.domain.catalog import ConfiguredHours, NumberOwner, OwnerKind
from call_orchestrator.domain.dial_pacing import Bucket, DialRate, DueCall
from call_orchestrator.domain.hangups import PendingHangup
from call_orchestrator.domain.inbound_calls import InboundSession
from call_orchestrator.domain.jobs import Job, JobState


class CallJobs(Protocol):
    async def serialize_request(self, request_id: uuid.UUID) -> None:
        """Serialize this transaction with any other on the same request, whether or
        not its job exists yet (a row lock needs the row)."""
        ...

    async def add(self, job: Job) -> bool:
        """Store a new job; False if the request already has one."""
        ...

    async def lock(self, request_id: uuid.UUID) -> Job | None:
        """The job, locked: every change to one request's calls is serialized on it."""
        ...

    async def try_lock(self, request_id: uuid.UUID) -> Job | None:
        """Like ``lock``, but None at once when another transaction holds the job."""
        ...

    async def set_state(self, request_id: uuid.UUID, state: JobState) -> None: ...

    async def append(self, job: Job, events: Sequence[Envelope]) -> Job:
        """Append the job aggregate's next events (event store and outbox); the job at
        its new version. Raises ConcurrencyConflict should a version be taken."""
        ...

    async def record_early_cancel(self, request_id: uuid.UUID, tenant_id: uuid.UUID,
                                  event_id: uuid.UUID, at: datetime) -> None:
        """A cancel that came before its request: kept for the request to find."""
        ...

    async def canceled_early(self, request_id: uuid.UUID, tenant_id: uuid.UUID) -> bool: ...


class CallTimers(Protocol):
    """At most one timer per request: when its next attempt is due."""

    async def set(self, request_id: uuid.UUID, attempt: int, due_at: datetime) -> None: ...

    async def drop(self, request_id: uuid.UUID) -> None: ...

    async def take_due(self, request_id: uuid.UUID, now: datetime) -> int | None:
        """Delete the request's timer if it is due; its attempt number, or None."""
        ...

    async def next_due_after(self, now: datetime) -> datetime | None:
        """The next timer still to fall due (the ones already due wait on the limits)."""
        ...


class CallAttempts(Protocol):
    async def add(self, request_id: uuid.UUID, attempt: int, now: datetime) -> Attempt | None:
        """A new attempt in ``dialing``; None if this attempt number exists already."""
        ...

    async def request_of(self, attempt_id: uuid.UUID) -> uuid.UUID | None: ...

    async def by_sid(self, call_sid: str) -> uuid.UUID | None:
        """The attempt that carries ``call_sid``."""
        ...

    async def lock(self, attempt_id: uuid.UUID) -> Attempt | None: ...

    async def lock_number(self, request_id: uuid.UUID, attempt: int) -> Attempt | None: ...

    async def live(self, request_id: uuid.UUID) -> Attempt | None:
        """The request's latest attempt still dialing, ringing or answered."""
        ...

    async def update(self, attempt_id: uuid.UUID, state: AttemptState, now: datetime,
                     call_sid: str | None = None) -> None:
        """Move to ``state``; a ``call_sid`` given is kept, None keeps the known one."""
        ...

    async def discard_unsent(self, attempt_id: uuid.UUID) -> None:
        """Forget an attempt still ``dialing`` whose dial never reached the carrier."""
        ...

    async def stale_dialing(self, before: datetime) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(attempt id, request id) of attempts ``dialing`` since before ``before``."""
        ...

    async def set_result(self, attempt_id: uuid.UUID, result: str, now: datetime) -> None: ...

    async def expect_result(self, attempt_id: uuid.UUID, *, due_at: datetime,
                            duration_seconds: float) -> None:
        """An answered call has ended: its conversation's result is due by ``due_at``."""
        ...

    async def overdue_results(self, now: datetime, limit: int
                              ) -> list[tuple[uuid.UUID, uuid.UUID, float]]:
        """(attempt id, request id, duration) of ended calls whose result is overdue."""
        ...

    async def claim_carrier_checks(self, now: datetime, *, placed_before: datetime,
                                   connected_before: datetime, limit: int) -> list[Attempt]:
        """Live attempts with a sid and no news since the deadline of their state, marked
        as checked ``now`` (so no replica asks again before one more deadline)."""
        ...


class DialPacing(Protocol):
    """The carrier's calls-per-second bucket and the tenants' turns, shared by replicas."""

    async def lock_bucket(self, rate: DialRate, now: datetime) -> Bucket:
        """The bucket, locked until the transaction ends (created full if missing)."""
        ...

    async def save_bucket(self, bucket: Bucket) -> None: ...

    async def due_by_tenant(self, now: datetime, per_tenant: int) -> list[DueCall]:
        """Each tenant's ``per_tenant`` earliest due timers."""
        ...

    async def live_by_tenant(self, tenants: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
        """Outbound attempts dialing, ringing or answered, per tenant."""
        ...

    async def last_turns(self, tenants: Collection[uuid.UUID]) -> dict[uuid.UUID, int]: ...

    async def take_turn(self, tenant_id: uuid.UUID) -> None: ...


class PendingHangups(Protocol):
    async def add(self, *, call_sid: str, request_id: uuid.UUID, reason: str,
                  now: datetime) -> None:
        """Due at once; a call already waiting to end keeps its row (and its backoff)."""
        ...

    async def claim_due(self, now: datetime, limit: int,
                        backoff: Callable[[int], timedelta]) -> list[PendingHangup]:
        """Due hang-ups, each moved ``backoff(tries)`` ahead (replicas never claim one
        row together)."""
        ...

    async def done(self, call_sid: str) -> None: ...

    async def failed(self, call_sid: str, error: str) -> None: ...

    async def next_due(self) -> datetime | None: ...


class InboundCalls(Protocol):
    async def claim(self, session: InboundSession, at: datetime) -> bool:
        """Claim the session's CallSid; False when a delivery before this one did (a
        concurrent one waits until that claim commits or rolls back)."""
        ...

    async def session(self, call_sid: str) -> InboundSession | None:
        """The session claimed for ``call_sid`` (``created`` False)."""
        ...


class CatalogProjection(Protocol):
    """What catalog-service published, as this service keeps it: who owns a business
    number, and a tenant's hours for a number it calls. Read locally, so a call never
    waits on catalog-service."""

    async def in_order(self, consumer: str, event: Envelope) -> bool:
        """Whether ``event`` is its aggregate's next version for ``consumer`` (an older
        one was applied already: skip it); see ``ringbook.store.sequencing``."""
        ...

    async def put_number(self, owner: NumberOwner, phone_number: str,
                         as_of: datetime) -> None:
        """The owner holds ``phone_number`` (E.164) since its snapshot of ``as_of``;
        a number it held before is no longer its own."""
        ...

    async def drop_number(self, tenant_id: uuid.UUID, kind: OwnerKind,
                          owner_id: uuid.UUID) -> None:
        """The owner is gone (released or deleted), and with it its number."""
        ...

    async def owner_of(self, phone_number: str) -> NumberOwner | None:
        """Who owns ``phone_number`` (E.164); None if no tenant configured it."""
        ...

    async def set_hours(self, tenant_id: uuid.UUID, number: str,
                        hours: ConfiguredHours) -> None: ...

    async def clear_hours(self, tenant_id: uuid.UUID, number: str) -> None: ...

    async def hours_for(self, tenant_id: uuid.UUID, number: str) -> ConfiguredHours | None:
        """The tenant's hours for ``number`` (E.164), None if it set none."""
        ...


class Transaction(Protocol):
    """The store inside ONE database transaction."""

    @property
    def jobs(self) -> CallJobs: ...

    @property
    def timers(self) -> CallTimers: ...

    @property
    def attempts(self) -> CallAttempts: ...

    @property
    def pacing(self) -> DialPacing: ...

    @property
    def hangups(self) -> PendingHangups: ...

    @property
    def inbound(self) -> InboundCalls: ...

    @property
    def catalog(self) -> CatalogProjection: ...


class UnitOfWork(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """Begin a transaction: committed when the block ends, rolled back if it raises."""
        ...
