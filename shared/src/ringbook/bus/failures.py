"""Why a handler failed decides what the worker does with the event.

Three kinds of failure, and only one of them is the event's fault:

- **the event's content** (``PoisonEvent``, or any error not listed below, e.g. a bug
  the event triggers): counted durably, dead-lettered after ``max_deliver`` of them;
  ``PoisonEvent`` at once. ``RetryLater`` (a precondition that may never come true) is
  counted the same way, so waiting for it is bounded.
- **the infrastructure** (Postgres or NATS unreachable, restarting or overloaded, a
  serialization failure, a lost optimistic-concurrency race, a peer that times out):
  never counted. The event is redelivered for as long as the outage lasts; an outage of
  ten minutes must not turn every event in flight into a dead letter.
- **an earlier version still on its way** (``WaitingForEarlierVersion``): not counted
  either; the earlier version is itself applied or dead-lettered in bounded time, and
  either ends the wait (see ``ringbook.store.sequencing``).
"""

from __future__ import annotations

import asyncpg
import httpx
import nats.errors

from ringbook.store.event_store import ConcurrencyConflict
from ringbook.store.unavailable import CONNECTION_ERRORS


class RetryLater(Exception):
    """The handler cannot apply this event yet (e.g. what it refers to is not known yet).

    Counted like a content failure: after ``max_deliver`` tries it is dead-lettered."""

    def __init__(self, reason: str, delay: float = 1.0) -> None:
        super().__init__(reason)
        self.delay = delay


class WaitingForEarlierVersion(RetryLater):
    """An earlier version of the event's aggregate has not been applied (nor dead-lettered)
    yet. Not counted: it ends when that version is applied or dead-lettered."""


class PoisonEvent(Exception):
    """The event can never be applied: dead-letter it at once."""


class TransientFailure(Exception):
    """Raised (or chained as ``__cause__``) by a handler whose dependency is unavailable:
    retried for as long as it takes, never counted towards a dead letter."""


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    TransientFailure,
    # Postgres refused, reset, shut down or closed under us; any OSError, so also
    # unreachable hosts and timeouts (asyncio's and nats-py's TimeoutError is one).
    *CONNECTION_ERRORS,
    asyncpg.exceptions.InsufficientResourcesError,  # 53: too many connections, disk full
    asyncpg.exceptions.TransactionRollbackError,  # 40: serialization failure, deadlock
    asyncpg.exceptions.LockNotAvailableError,  # 55P03: lock_timeout
    asyncpg.exceptions.ReadOnlySQLTransactionError,  # a failover left us on a standby
    ConcurrencyConflict,  # another writer took the version: a retry re-reads and goes on
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionDrainingError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.NoServersError,
    nats.errors.StaleConnectionError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.NoRespondersError,
    nats.errors.FlushTimeoutError,
    httpx.TransportError,  # a peer unreachable or too slow (an HTTP status is not this)
)


def is_transient(exc: BaseException) -> bool:
    """True if ``exc`` (or what it was raised from) is the infrastructure's fault."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 10:
        if isinstance(current, TRANSIENT_ERRORS):
            return True
        current, seen = current.__cause__, seen + 1
    return False
