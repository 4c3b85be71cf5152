"""A fetched batch's first deliveries, applied in ONE transaction (issue 14).

A commit per event costs an fsync per event; one per batch costs one per batch. The
pull worker hands this module each run of consecutive messages that are first
deliveries and decodable (redeliveries and undecodable messages keep the per-message
path of ``ringbook.bus.worker``: their dead-letter checks and failure counts). For a
run: one transaction, the rebuild lock taken shared once, the inbox claims of all its
events in one statement, then per event a savepoint and its handler; one commit; and
only then the acks.

Design: a savepoint per event, never re-running a handler. On the first event that
fails, the transaction rolls back to that event's savepoint (its writes, NOTIFYs
included, are undone; those of the events before it are not), its claim and those of
the events after it are deleted, the events before it are committed and acked, the
failing one is settled by the worker exactly as a single message would be (counted,
``nak``-ed, dead-lettered: ``settle_failure``), and the rest of the run goes on in a new
transaction. Re-applying the prefix in a fresh transaction instead would save the
savepoints, but it runs the prefix's handlers a second time: a second text from
``catalog-booking-sms`` had it batched, second log lines and metrics for the others.
With savepoints each handler runs once per delivery, as before.

The invariant: every event sees the database as it would had the messages been handled
one at a time, in order. Its run's earlier events are visible to it (same transaction);
the outcome of an event that failed (its dead letter, its failure count) is committed
before any later event runs, because a failure ends the transaction; so ``in_order``
and ``WaitingForEarlierVersion`` behave as they did per message, and a good event of
the batch never fails, is dead-lettered or applied twice because of a bad one.

What a batch changes, and why it is acceptable:

- a crash after the commit and before the acks redelivers the whole run, not one
  message: the inbox turns each redelivery into a no-op;
- a transaction that fails as a whole (the commit, e.g. a deferred constraint, or a
  rollback to a savepoint: Postgres gone) has applied nothing: the worker hands the
  run's messages one by one to the per-message path, which settles each as before (an
  outage: ``nak``, pause). Their handlers run again, but nothing of their first run
  was committed: a second effect only for a handler that acts outside its connection;
- locks (``in_order``'s position rows) are held until the batch commits: two replicas
  can deadlock on two aggregates; Postgres aborts one statement (a transient failure,
  in a savepoint), which is ``nak``-ed and redelivered;
- savepoints are not released (a round trip each): COMMIT ends them all, and rolling
  back to the newest undoes only its own event. A savepoint whose handler writes takes
  a subtransaction id; past 64 in one transaction, other sessions' snapshots check
  ``pg_subtrans`` while it is open (a batch is 64 messages at most by default);
- a handler with an effect outside its connection would repeat every effect of a run
  that cannot commit: its consumer sets ``ConsumerSpec.batch_commit`` to False.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

import asyncpg
from nats.aio.msg import Msg

from ringbook.bus.consumer_spec import Handler, Outcome
from ringbook.bus.metrics import EVENTS_HANDLED
from ringbook.contracts.catalogue import MalformedEvent, UnknownEventType, parse_envelope
from ringbook.events import Envelope
from ringbook.logging import correlation, get_logger
from ringbook.store import inbox, rebuild_lock
from ringbook.store.dead_letters import Message

log = get_logger(__name__)


@dataclass(frozen=True)
class Delivery:
    """A first delivery whose envelope decoded: what a batch may take."""

    msg: Msg
    message: Message
    event: Envelope


def message_of(durable: str, msg: Msg) -> Message:
    meta = msg.metadata
    return Message(
        consumer=durable, stream=meta.stream, stream_seq=meta.sequence.stream,
        subject=msg.subject, payload=msg.data, deliveries=meta.num_delivered,
    )


def first_delivery(durable: str, msg: Msg) -> Delivery | None:
    """``msg`` as a batch may take it; None for a redelivery (its dead letter and its
    failure count are the per-message path's) or an undecodable message."""
    if msg.metadata.num_delivered > 1:
        return None
    try:
        return Delivery(msg, message_of(durable, msg), parse_envelope(msg.data))
    except (MalformedEvent, UnknownEventType):
        return None


def run_at(batchable: Sequence[Delivery | None], start: int) -> list[Delivery]:
    """The consecutive batchable messages from ``start`` on, in stream order."""
    run: list[Delivery] = []
    for delivery in batchable[start:]:
        if delivery is None:
            break
        run.append(delivery)
    return run


class Settler(Protocol):
    """What the batch needs of its worker: its rules for one message."""

    async def settle_failure(
        self, msg: Msg, message: Message, event: Envelope, exc: Exception
    ) -> Outcome: ...

    async def settle(self, action: Awaitable[None], what: str) -> None: ...


class BatchApplier:
    def __init__(self, *, pool: asyncpg.Pool, durable: str, handler: Handler,
                 settler: Settler) -> None:
        self._pool, self._durable, self._handler = pool, durable, handler
        self._settler = settler

    async def apply(self, run: Sequence[Delivery]) -> tuple[int, Outcome] | None:
        """Apply ``run`` (in stream order) up to and including its first failing event:
        how many of its messages are settled, and the last one's outcome. None if the
        transaction failed as a whole: nothing committed, nothing settled."""
        try:
            done, failure = await self._commit(run)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("batch_not_committed", consumer=self._durable, size=len(run),
                        error=repr(exc))
            return None
        # After the commit, never before. An ack is a publish with no reply to wait for
        # (nats-py's Msg.ack; ack_sync is the one that waits), so awaiting each only
        # queues it in the client's buffer: no round trip per message.
        for delivery, outcome in done:
            await self._settler.settle(delivery.msg.ack(), "ack")
            EVENTS_HANDLED.labels(self._durable, outcome).inc()
        if failure is None:
            return len(done), done[-1][1]
        failed, error = failure
        with _correlated(failed.event, self._durable):
            outcome = await self._settler.settle_failure(failed.msg, failed.message,
                                                         failed.event, error)
        return len(done) + 1, outcome

    async def _commit(
        self, run: Sequence[Delivery]
    ) -> tuple[list[tuple[Delivery, Outcome]], tuple[Delivery, Exception] | None]:
        done: list[tuple[Delivery, Outcome]] = []
        async with self._pool.acquire() as conn, conn.transaction():
            # First, before anything is read: a rebuild's swap holds us here (see
            # ringbook.store.rebuild_lock), so no event lands in the tables it replaces.
            await rebuild_lock.hold_shared(conn, self._durable)
            # All claims in one round trip; the ones of events not applied are released
            # before the commit.
            claimed = await inbox.claim_many(conn, self._durable, [d.event.id for d in run])
            # Invariant: each handler sees what it would see handled alone, after the
            # messages before it. It holds because the events before it are in this
            # transaction, and a failure ends the transaction (before any later event
            # runs) so that its outcome is committed, as per message, before they run.
            for n, delivery in enumerate(run):
                event = delivery.event
                if event.id not in claimed:  # applied before, or earlier in this run
                    done.append((delivery, "duplicate"))
                    continue
                claimed.discard(event.id)
                await conn.execute(f"savepoint ringbook_event_{n}")
                try:
                    with _correlated(event, self._durable):
                        await self._handler(conn, event)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    await conn.execute(f"rollback to savepoint ringbook_event_{n}")
                    await inbox.release(conn, self._durable, [event.id, *claimed])
                    return done, (delivery, exc)  # leaving the block commits the rest
                done.append((delivery, "applied"))
        return done, None


def _correlated(event: Envelope, durable: str) -> AbstractContextManager[None]:
    return correlation(str(event.correlation_id), event_type=event.type, consumer=durable)
