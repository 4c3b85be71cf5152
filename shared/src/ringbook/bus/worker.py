"""Durable pull consumers that apply each event once, in its handler's transaction.

For every message: decode the envelope (undecodable or unknown type: dead letter and
``term``, never retried, never blocking what follows), then in a transaction claim the
event id in the inbox and run the handler, commit, and only then ``ack``. A crash
before the ack redelivers the message; the committed inbox row turns the redelivery
into a no-op. The first deliveries of a fetch share one transaction (one commit, one
fsync, for the lot), each event in a savepoint of its own, so a failing one still
fails alone (``ringbook.bus.batch``); redeliveries are handled one at a time.

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
from collections.abc import Awaitable, Sequence

import asyncpg
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext

from ringbook.bus.batch import BatchApplier, first_delivery, message_of, run_at
from ringbook.bus.consumer_spec import ConsumerSpec, Handler, Outcome
from ringbook.bus.failures import (
    PoisonEvent,
    RetryLater,
    TransientFailure,
    WaitingForEarlierVersion,
    is_transient,
)
from ringbook.bus.metrics import CONSUMER_PENDING, EVENTS_HANDLED
from ringbook.bus.pause import PostgresPause
from ringbook.bus.replay import DeadLetterReplayer
from ringbook.contracts.catalogue import MalformedEvent, UnknownEventType, parse_envelope
from ringbook.events import Envelope
from ringbook.logging import correlation, get_logger
from ringbook.store import dead_letters, inbox, rebuild_lock
from ringbook.store.dead_letters import Message

__all__ = [
    "EVENTS_HANDLED",
    "ConsumerSpec",
    "Handler",
    "Outcome",
    "PoisonEvent",
    "PullWorker",
    "RetryLater",
    "TransientFailure",
    "WaitingForEarlierVersion",
]

log = get_logger(__name__)


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
        self._pause = PostgresPause(pool=pool, durable=spec.durable,
                                    probe_timeout_seconds=probe_timeout_seconds,
                                    pause_max_seconds=pause_max_seconds)
        self.replayer = DeadLetterReplayer(
            pool=pool, consumer=spec.durable, handler=handler, poll_seconds=replay_poll_seconds
        )
        self._batches = BatchApplier(pool=pool, durable=spec.durable, handler=handler,
                                     settler=self)

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
        durable = self._spec.durable
        batchable = [first_delivery(durable, m) if self._spec.batch_commit else None
                     for m in msgs]
        i = alone_until = 0
        while i < len(msgs):
            run = run_at(batchable, i) if i >= alone_until else []
            if len(run) > 1:
                result = await self._batches.apply(run)
                if result is None:  # nothing committed: one by one, as before batches
                    alone_until = i + len(run)
                    continue
                settled, outcome = result
            else:
                settled, outcome = 1, await self.handle(msgs[i])
            i += settled
            if outcome == "transient" and not await self._pause.answers():
                # Everything else in hand would fail the same way: give it back now
                # (not after ack_wait), and fetch nothing until Postgres answers.
                for rest in msgs[i:]:
                    await self.settle(rest.nak(delay=self._spec.transient_delay(1)), "nak")
                await self._pause.wait()
                return

    async def handle(self, msg: Msg) -> Outcome:
        message = message_of(self._spec.durable, msg)
        try:
            event = parse_envelope(msg.data)
        except (MalformedEvent, UnknownEventType) as exc:
            return await self._dead_letter(msg, message, None, f"undecodable: {exc}")
        with correlation(str(event.correlation_id), event_type=event.type,
                         consumer=self._spec.durable):
            try:
                outcome = await self._apply(message, event)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                return await self.settle_failure(msg, message, event, exc)
            if outcome == "already_dead":
                await self.settle(msg.term(), "term")  # its earlier term was lost
            else:
                await self.settle(msg.ack(), "ack")
                EVENTS_HANDLED.labels(self._spec.durable, outcome).inc()
            return outcome

    async def settle_failure(
        self, msg: Msg, message: Message, event: Envelope, exc: Exception
    ) -> Outcome:
        """What a handler's failure does to its message (rolled back already)."""
        spec = self._spec
        if isinstance(exc, WaitingForEarlierVersion):
            log.info("event_waiting", reason=str(exc), delivered=message.deliveries)
            delay = min(exc.delay * message.deliveries, spec.transient_retry_max_seconds)
            await self.settle(msg.nak(delay=delay), "nak")
            return "waiting"
        if isinstance(exc, PoisonEvent):
            return await self._dead_letter(msg, message, event, f"poison: {exc}")
        if isinstance(exc, RetryLater):
            return await self._content_failure(
                msg, message, event, str(exc), "gave up waiting ({n} tries): {error}",
                delay=exc.delay,
            )
        if is_transient(exc):
            log.warning("event_transient_failure", error=repr(exc),
                        delivered=message.deliveries)
            EVENTS_HANDLED.labels(spec.durable, "transient").inc()
            await self.settle(msg.nak(delay=spec.transient_delay(message.deliveries)), "nak")
            return "transient"
        return await self._content_failure(
            msg, message, event, repr(exc), "failed {n} times: {error}", delay=None
        )

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
        await self.settle(msg.nak(delay=delay if delay is not None else spec.backoff(failures)),
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
        await self.settle(msg.term(), "term")
        return "dead_letter"

    async def _unrecorded(self, msg: Msg, message: Message, exc: Exception) -> Outcome:
        log.warning("failure_not_recorded", error=repr(exc), delivered=message.deliveries)
        await self.settle(msg.nak(delay=self._spec.transient_delay(message.deliveries)), "nak")
        return "transient"

    async def settle(self, action: Awaitable[None], what: str) -> None:
        """ack/nak/term: if NATS is away, the message comes back after ``ack_wait`` and is
        recognised then (inbox, dead letter), so a lost settle is logged, not raised."""
        try:
            await action
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("settle_failed", action=what, error=repr(exc))

