"""Durable pull consumers that apply each event once, in its handler's transaction.

For every message: decode the envelope (undecodable or unknown type: dead letter and
``term``, never retried, never blocking what follows), then in ONE transaction claim
the event id in the inbox and run the handler, commit, and only then ``ack``. A crash
before the ack redelivers the message; the committed inbox row turns the redelivery
into a no-op.

What a failure does depends on whose fault it is (``ringbook.bus.failures``):

- the event's content: counted in Postgres, ``nak`` with a growing delay, and after
  ``max_deliver`` such failures dead-lettered and ``term``-ed (G9); a ``PoisonEvent`` at
  once. Dead letters never block the events behind them, in their own aggregate
  included (``ringbook.store.sequencing``).
- the infrastructure (Postgres or NATS away, ...): never counted, ``nak``; and if
  Postgres does not answer, the worker stops fetching until it does, rather than spin
  through deliveries. The server-side ``max_deliver`` is unlimited: JetStream stops
  redelivering a message that reached it, which during an outage would lose events
  that have not even been dead-lettered (that write fails against the same Postgres).
- a dead-letter write that fails leaves the message un-terminated: it comes back.

Dead letters marked for replay are applied by the same worker (``ringbook.bus.replay``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import asyncpg
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from ringbook.bus.failures import (
    PoisonEvent,
    RetryLater,
    TransientFailure,
    WaitingForEarlierVersion,
    is_transient,
)
from ringbook.bus.metrics import CONSUMER_PAUSED, CONSUMER_PENDING, EVENTS_HANDLED
from ringbook.bus.replay import DeadLetterReplayer
from ringbook.contracts.catalogue import MalformedEvent, UnknownEventType, parse_envelope
from ringbook.contracts.streams import StreamSpec
from ringbook.events import Envelope
from ringbook.logging import correlation, get_logger
from ringbook.store import dead_letters, inbox, rebuild_lock
from ringbook.store.database import Conn
from ringbook.store.dead_letters import Message

__all__ = [
    "EVENTS_HANDLED",
    "ConsumerSpec",
    "Handler",
    "PoisonEvent",
    "PullWorker",
    "RetryLater",
    "TransientFailure",
    "WaitingForEarlierVersion",
]

log = get_logger(__name__)
Handler = Callable[[Conn, Envelope], Awaitable[None]]
Outcome = Literal[
    "applied", "duplicate", "already_dead", "dead_letter", "failed", "waiting", "transient"
]


@dataclass(frozen=True)
class ConsumerSpec:
    durable: str
    stream: StreamSpec
    filter_subjects: list[str] = field(default_factory=list)
    # Failures caused by the event's content before it is dead-lettered (counted by us,
    # in Postgres; JetStream itself redelivers without limit).
    max_deliver: int = 10
    ack_wait_seconds: float = 30.0
    max_ack_pending: int = 1000
    # Delay before the n-th redelivery after a content failure: base * 2**(n-1), capped.
    retry_base_seconds: float = 0.5
    retry_max_seconds: float = 30.0
    # Cap of the delay after an infrastructure failure (the pause does the waiting).
    transient_retry_max_seconds: float = 5.0

    def config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            filter_subjects=self.filter_subjects or self.stream.subjects,
            max_deliver=-1,
            ack_wait=self.ack_wait_seconds,
            max_ack_pending=self.max_ack_pending,
        )

    def backoff(self, attempt: int) -> float:
        return float(min(self.retry_base_seconds * 2 ** max(attempt - 1, 0),
                         self.retry_max_seconds))

    def transient_delay(self, deliveries: int) -> float:
        return min(self.backoff(deliveries), self.transient_retry_max_seconds)


class PullWorker:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        js: JetStreamContext,
        spec: ConsumerSpec,
        handler: Handler,
        batch: int = 64,
        replay_poll_seconds: float = 2.0,
        probe_timeout_seconds: float = 5.0,
        pause_max_seconds: float = 5.0,
    ) -> None:
        self._pool, self._js, self._spec, self._handler = pool, js, spec, handler
        self._batch = batch
        self._probe_timeout = probe_timeout_seconds
        self._pause_max = pause_max_seconds
        self.replayer = DeadLetterReplayer(
            pool=pool, consumer=spec.durable, handler=handler, poll_seconds=replay_poll_seconds
        )

    async def ensure(self) -> None:
        """Create (or update) the durable consumer explicitly, before fetching."""
        await self._js.add_consumer(self._spec.stream.name, self._spec.config())

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self._consume(), name=f"fetch:{self._spec.durable}")
            group.create_task(self.replayer.run(), name=f"replay:{self._spec.durable}")

    async def _consume(self) -> None:
        delay = 0.2
        pending = CONSUMER_PENDING.labels(consumer=self._spec.durable)
        while True:
            sub = None
            try:
                await self.ensure()
                sub = await self._js.pull_subscribe_bind(
                    durable=self._spec.durable, stream=self._spec.stream.name
                )
                delay = 0.2
                while True:
                    try:
                        msgs = await sub.fetch(self._batch, timeout=1.0)
                    except (NatsTimeout, TimeoutError):
                        pending.set(0)  # nothing to hand out: caught up
                        continue
                    # What JetStream still holds beyond this batch, for the lag alert.
                    pending.set(msgs[-1].metadata.num_pending if msgs else 0)
                    await self.handle_batch(msgs)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # NATS away: retry, never give up
                log.warning("worker_error", consumer=self._spec.durable, error=repr(exc),
                            retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                if sub is not None:
                    with contextlib.suppress(Exception):
                        await sub.unsubscribe()

    async def handle_batch(self, msgs: Sequence[Msg]) -> None:
        for i, msg in enumerate(msgs):
            if await self.handle(msg) == "transient" and not await self._postgres_answers():
                # Everything else in hand would fail the same way: give it back now
                # (not after ack_wait), and fetch nothing until Postgres answers.
                for rest in msgs[i + 1:]:
                    await self._settle(rest.nak(delay=self._spec.transient_delay(1)), "nak")
                await self._wait_for_postgres()
                return

    async def handle(self, msg: Msg) -> Outcome:
        meta = msg.metadata
        message = Message(
            consumer=self._spec.durable, stream=meta.stream, stream_seq=meta.sequence.stream,
            subject=msg.subject, payload=msg.data, deliveries=meta.num_delivered,
        )
        try:
            event = parse_envelope(msg.data)
        except (MalformedEvent, UnknownEventType) as exc:
            return await self._dead_letter(msg, message, None, f"undecodable: {exc}")
        with correlation(str(event.correlation_id), event_type=event.type,
                         consumer=self._spec.durable):
            return await self._handle_event(msg, message, event)

    async def _handle_event(self, msg: Msg, message: Message, event: Envelope) -> Outcome:
        spec = self._spec
        try:
            outcome = await self._apply(message, event)
        except asyncio.CancelledError:
            raise
        except WaitingForEarlierVersion as exc:
            log.info("event_waiting", reason=str(exc), delivered=message.deliveries)
            delay = min(exc.delay * message.deliveries, spec.transient_retry_max_seconds)
            await self._settle(msg.nak(delay=delay), "nak")
            return "waiting"
        except PoisonEvent as exc:
            return await self._dead_letter(msg, message, event, f"poison: {exc}")
        except RetryLater as exc:
            return await self._content_failure(
                msg, message, event, str(exc), "gave up waiting ({n} tries): {error}",
                delay=exc.delay,
            )
        except Exception as exc:
            if is_transient(exc):
                log.warning("event_transient_failure", error=repr(exc),
                            delivered=message.deliveries)
                EVENTS_HANDLED.labels(spec.durable, "transient").inc()
                await self._settle(msg.nak(delay=spec.transient_delay(message.deliveries)),
                                   "nak")
                return "transient"
            return await self._content_failure(
                msg, message, event, repr(exc), "failed {n} times: {error}", delay=None
            )
        if outcome == "already_dead":
            await self._settle(msg.term(), "term")  # its earlier term was lost
        else:
            await self._settle(msg.ack(), "ack")
            EVENTS_HANDLED.labels(spec.durable, outcome).inc()
        return outcome

    async def _apply(self, message: Message, event: Envelope) -> Outcome:
        async with self._pool.acquire() as conn, conn.transaction():
            # First, before anything is read: a rebuild's swap holds us here (see
            # ringbook.store.rebuild_lock), so no event lands in the tables it replaces.
            await rebuild_lock.hold_shared(conn, self._spec.durable)
            if message.deliveries > 1:
                # Only a redelivery can have a letter already, or failures counted.
                if await dead_letters.is_dead(conn, message):
                    return "already_dead"
                await dead_letters.clear_failures(conn, message)
            if not await inbox.claim(conn, self._spec.durable, event.id):
                return "duplicate"
            await self._handler(conn, event)
            return "applied"

    async def _content_failure(
        self, msg: Msg, message: Message, event: Envelope, error: str, reason: str,
        *, delay: float | None,
    ) -> Outcome:
        """Count one failure caused by the event itself; the last one dead-letters it."""
        spec = self._spec
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                failures = await dead_letters.count_failure(conn, message, error)
                if failures >= spec.max_deliver:
                    await dead_letters.record(
                        conn, message, event, reason.format(n=failures, error=error)
                    )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # not counted, so not lost: it comes back
            return await self._unrecorded(msg, message, exc)
        if failures >= spec.max_deliver:
            return await self._terminate(msg, message, event, reason.format(n=failures,
                                                                           error=error))
        log.warning("event_failed", error=error, failures=failures,
                    delivered=message.deliveries)
        await self._settle(msg.nak(delay=delay if delay is not None else spec.backoff(failures)),
                           "nak")
        return "failed"

    async def _dead_letter(
        self, msg: Msg, message: Message, event: Envelope | None, reason: str
    ) -> Outcome:
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                await dead_letters.record(conn, message, event, reason)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return await self._unrecorded(msg, message, exc)
        return await self._terminate(msg, message, event, reason)

    async def _terminate(
        self, msg: Msg, message: Message, event: Envelope | None, reason: str
    ) -> Outcome:
        """The letter is committed: only now may JetStream forget the message."""
        log.error(
            "event_dead_lettered", consumer=self._spec.durable, reason=reason,
            stream=message.stream, stream_seq=message.stream_seq,
            aggregate=event.aggregate if event else None,
            aggregate_id=str(event.aggregate_id) if event else None,
            version=event.version if event else None,
        )
        EVENTS_HANDLED.labels(self._spec.durable, "dead_letter").inc()
        await self._settle(msg.term(), "term")
        return "dead_letter"

    async def _unrecorded(self, msg: Msg, message: Message, exc: Exception) -> Outcome:
        log.warning("failure_not_recorded", error=repr(exc), delivered=message.deliveries)
        await self._settle(msg.nak(delay=self._spec.transient_delay(message.deliveries)), "nak")
        return "transient"

    async def _settle(self, action: Awaitable[None], what: str) -> None:
        """ack/nak/term: if NATS is away, the message comes back after ``ack_wait`` and is
        recognised then (inbox, dead letter), so a lost settle is logged, not raised."""
        try:
            await action
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("settle_failed", action=what, error=repr(exc))

    async def _postgres_answers(self) -> bool:
        try:
            async with asyncio.timeout(self._probe_timeout):
                await self._pool.fetchval("select 1")
            return True
        except asyncio.CancelledError:
            raise
        except Exception:
            return False

    async def _wait_for_postgres(self) -> None:
        durable = self._spec.durable
        log.warning("consumer_paused", consumer=durable, reason="postgres does not answer")
        CONSUMER_PAUSED.labels(durable).set(1)
        delay = 0.2
        try:
            while not await self._postgres_answers():
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._pause_max)
        finally:
            CONSUMER_PAUSED.labels(durable).set(0)
        log.info("consumer_resumed", consumer=durable)
