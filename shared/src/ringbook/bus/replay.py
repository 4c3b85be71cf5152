"""Replaying dead letters through the consumer's own handler, inside its running worker.

An operator marks letters for replay (``python -m ringbook.store.dead_letter_cli
replay``); the worker of that consumer finds them and applies each exactly as it would
a delivery: one transaction that claims the event in the inbox, runs the handler, and
marks the letter replayed, all or nothing. JetStream is not involved: the message was
``term``-ed, a republish would be dropped by the stream's de-duplication window or go to
every consumer of the stream, not to this one alone.

A replay that fails on the event's content puts the letter back to 'dead' with the new
reason (one replay, one try); one that fails on the infrastructure leaves it marked,
to be tried again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg

from ringbook.bus.failures import WaitingForEarlierVersion, is_transient
from ringbook.bus.metrics import EVENTS_HANDLED
from ringbook.contracts.catalogue import MalformedEvent, UnknownEventType, parse_envelope
from ringbook.events import Envelope
from ringbook.logging import correlation, get_logger
from ringbook.store import dead_letters, inbox, rebuild_lock
from ringbook.store.database import Conn

log = get_logger(__name__)
Handler = Callable[[Conn, Envelope], Awaitable[None]]


class DeadLetterReplayer:
    def __init__(
        self, *, pool: asyncpg.Pool, consumer: str, handler: Handler, poll_seconds: float
    ) -> None:
        self._pool, self._consumer, self._handler = pool, consumer, handler
        self._poll_seconds = poll_seconds

    async def run(self) -> None:
        delay, failing = self._poll_seconds, False
        while True:
            try:
                for letter_id in await dead_letters.replays_pending(
                    self._pool, self._consumer, limit=50
                ):
                    await self.replay(letter_id)
                delay, failing = self._poll_seconds, False
            except asyncio.CancelledError:
                raise
            except WaitingForEarlierVersion as exc:
                log.info("dead_letter_replay_waiting", consumer=self._consumer, reason=str(exc))
            except Exception as exc:  # Postgres away: the letters stay marked for later
                if not failing:  # once per outage, not once per poll
                    log.warning("dead_letter_replay_error", consumer=self._consumer,
                                error=repr(exc))
                delay, failing = min(max(delay, self._poll_seconds) * 2, 30.0), True
            await asyncio.sleep(delay)

    async def replay(self, letter_id: int) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            # Like the worker: a rebuild's swap holds replays too (ringbook.store.rebuild_lock).
            await rebuild_lock.hold_shared(conn, self._consumer)
            row = await dead_letters.claim_replay(conn, self._consumer, letter_id)
            if row is None:
                return  # another replica is replaying it, or it is no longer marked
            try:
                event = parse_envelope(bytes(row["payload"]))
            except (MalformedEvent, UnknownEventType) as exc:
                await self._failed(conn, letter_id, None, f"undecodable: {exc}")
                return
            with correlation(str(event.correlation_id), event_type=event.type,
                             consumer=self._consumer):
                try:
                    # A savepoint: a content failure undoes the handler's writes only,
                    # and the letter's new reason still commits.
                    async with conn.transaction():
                        if await inbox.claim(conn, self._consumer, event.id):
                            await self._handler(conn, event)
                except asyncio.CancelledError:
                    raise
                except WaitingForEarlierVersion:
                    raise  # rolls back all; the letter stays marked until its turn
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    await self._failed(conn, letter_id, event, repr(exc))
                    return
                await dead_letters.replayed(conn, letter_id)
                log.info("dead_letter_replayed", consumer=self._consumer, letter=letter_id,
                         aggregate_id=str(event.aggregate_id), version=event.version)
        EVENTS_HANDLED.labels(self._consumer, "replayed").inc()

    async def _failed(
        self, conn: Conn, letter_id: int, event: Envelope | None, reason: str
    ) -> None:
        await dead_letters.replay_failed(conn, letter_id, reason)
        log.error("dead_letter_replay_failed", consumer=self._consumer, letter=letter_id,
                  aggregate_id=str(event.aggregate_id) if event else None,
                  version=event.version if event else None, reason=reason)
