"""Durable pull consumers that apply each event once, in its handler's transaction.

For every message: decode the envelope (undecodable or unknown type: dead letter and
``term``, never retried, never blocking what follows), then in ONE transaction claim
the event id in the inbox and run the handler, commit, and only then ``ack``. A crash
before the ack redelivers the message; the committed inbox row turns the redelivery
into a no-op. Transient failures ``nak`` with a growing delay; after ``max_deliver``
attempts the message is dead-lettered so it cannot block the stream forever (G9).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from prometheus_client import Counter

from ringbook.contracts.catalogue import MalformedEvent, UnknownEventType, parse_envelope
from ringbook.contracts.streams import StreamSpec
from ringbook.events import Envelope
from ringbook.logging import correlation, get_logger
from ringbook.store import dead_letters, inbox
from ringbook.store.database import Conn

log = get_logger(__name__)
Handler = Callable[[Conn, Envelope], Awaitable[None]]

EVENTS_HANDLED = Counter(
    "ringbook_events_handled_total", "Events consumed", ["consumer", "outcome"]
)


class RetryLater(Exception):
    """Transient: the handler cannot apply this event yet (e.g. an earlier one is missing)."""

    def __init__(self, reason: str, delay: float = 1.0) -> None:
        super().__init__(reason)
        self.delay = delay


class PoisonEvent(Exception):
    """The event can never be applied: dead-letter it at once."""


@dataclass(frozen=True)
class ConsumerSpec:
    durable: str
    stream: StreamSpec
    filter_subjects: list[str] = field(default_factory=list)
    max_deliver: int = 10
    ack_wait_seconds: float = 30.0
    max_ack_pending: int = 1000

    def config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            filter_subjects=self.filter_subjects or self.stream.subjects,
            max_deliver=self.max_deliver,
            ack_wait=self.ack_wait_seconds,
            max_ack_pending=self.max_ack_pending,
        )


def _backoff(delivered: int) -> float:
    return float(min(0.5 * 2 ** max(delivered - 1, 0), 30.0))


class PullWorker:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        js: JetStreamContext,
        spec: ConsumerSpec,
        handler: Handler,
        batch: int = 64,
    ) -> None:
        self._pool, self._js, self._spec, self._handler = pool, js, spec, handler
        self._batch = batch

    async def ensure(self) -> None:
        """Create (or update) the durable consumer explicitly, before fetching."""
        await self._js.add_consumer(self._spec.stream.name, self._spec.config())

    async def run(self) -> None:
        while True:
            try:
                await self.ensure()
                sub = await self._js.pull_subscribe_bind(
                    durable=self._spec.durable, stream=self._spec.stream.name
                )
                while True:
                    try:
                        msgs = await sub.fetch(self._batch, timeout=1.0)
                    except (NatsTimeout, TimeoutError):
                        continue
                    for msg in msgs:
                        await self.handle(msg)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("worker_error", consumer=self._spec.durable, error=repr(exc))
                await asyncio.sleep(1.0)

    async def handle(self, msg: Msg) -> None:
        spec = self._spec
        delivered = msg.metadata.num_delivered
        try:
            event = parse_envelope(msg.data)
        except (MalformedEvent, UnknownEventType) as exc:
            await self._dead_letter(msg, f"undecodable: {exc}")
            return
        with correlation(str(event.correlation_id), event_type=event.type, consumer=spec.durable):
            try:
                async with self._pool.acquire() as conn, conn.transaction():
                    if await inbox.claim(conn, spec.durable, event.id):
                        await self._handler(conn, event)
                        outcome = "applied"
                    else:
                        outcome = "duplicate"
                await msg.ack()
                EVENTS_HANDLED.labels(spec.durable, outcome).inc()
            except RetryLater as exc:
                if delivered >= spec.max_deliver:
                    await self._dead_letter(msg, f"gave up waiting: {exc}")
                else:
                    log.info("event_retry_later", reason=str(exc), delivered=delivered)
                    await msg.nak(delay=exc.delay)
            except PoisonEvent as exc:
                await self._dead_letter(msg, f"poison: {exc}")
            except Exception as exc:
                if delivered >= spec.max_deliver:
                    await self._dead_letter(msg, f"failed {delivered} times: {exc!r}")
                else:
                    log.warning("event_failed", error=repr(exc), delivered=delivered)
                    await msg.nak(delay=_backoff(delivered))

    async def _dead_letter(self, msg: Msg, reason: str) -> None:
        meta = msg.metadata
        log.error("event_dead_lettered", consumer=self._spec.durable, reason=reason)
        await dead_letters.record(
            self._pool,
            consumer=self._spec.durable,
            stream=meta.stream,
            stream_seq=meta.sequence.stream,
            subject=msg.subject,
            payload=msg.data,
            reason=reason,
        )
        await msg.term()
        EVENTS_HANDLED.labels(self._spec.durable, "dead_letter").inc()
