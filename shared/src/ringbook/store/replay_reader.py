"""One consumer's replay for a rebuild: its stream from sequence 1, through its handler,
into the shadow schema (``ringbook.store.shadow``).

The stream is read with an ORDERED consumer of its own (ephemeral, in memory, no acks,
flow-controlled; nats-py recreates it from the last sequence seen if a message goes
missing), never with the live durable: the live workers' positions and pending acks are
untouched, and they keep consuming while the replay runs.

Events are applied in chunks, one transaction per chunk, each event claimed in the shadow's
inbox under the live consumer's name (so ``in_order`` and the dead letters work exactly
as they do live), through the very handler the live worker calls: the rebuild cannot
diverge from the live projection. If anything in a chunk fails, the chunk is rolled
back; what came before the failing event is applied again in one transaction, the
failing one on its own, with the worker's rules, and the rest as a chunk again:

- ``PoisonEvent`` or an undecodable message: a dead letter, in the shadow;
- an infrastructure failure (``is_transient``): the rebuild stops (nothing is swapped);
- anything else (``RetryLater``: its request is on the other stream; waiting for an
  earlier version; a handler error): kept aside and retried once more of the streams
  were read (``retry_pending``), since what it waited for may be further on. The
  replay never gives up on one by counting, as a live worker does: whatever is still
  aside at the swap is left to the live worker, which has not acked it either.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Literal

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from ringbook.bus.failures import PoisonEvent, is_transient
from ringbook.bus.worker import ConsumerSpec, Handler
from ringbook.contracts.catalogue import MalformedEvent, UnknownEventType, parse_envelope
from ringbook.events import Envelope
from ringbook.logging import get_logger
from ringbook.store import dead_letters, inbox
from ringbook.store.database import Conn
from ringbook.store.dead_letters import Message
from ringbook.store.swap import LETTER_COLUMNS

log = get_logger(__name__)
Outcome = Literal["applied", "duplicate", "dead", "pending"]


@dataclass
class _Item:
    message: Message
    event: Envelope | None
    error: str = ""


class ConsumerReplay:
    def __init__(
        self, *, js: JetStreamContext, spec: ConsumerSpec, handler: Handler, conn: Conn,
        chunk: int = 250,
    ) -> None:
        self.spec, self._js, self._handler, self._conn = spec, js, handler, conn
        self._chunk = chunk
        self.position = 0  # stream sequence of the last message applied or set aside
        self.pending: list[_Item] = []
        self.applied = self.duplicates = self.dead = 0
        self._sub: JetStreamContext.PushSubscription | None = None

    @property
    def durable(self) -> str:
        return self.spec.durable

    async def open(self) -> None:
        filters = self.spec.filter_subjects or self.spec.stream.subjects
        self._sub = await self._js.subscribe(
            filters[0], stream=self.spec.stream.name, ordered_consumer=True,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, filter_subjects=filters),
        )

    async def close(self) -> None:
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()

    async def tail(self) -> int:
        """The stream's last sequence now: what a drain must reach."""
        info = await self._js.stream_info(self.spec.stream.name)
        return int(info.state.last_seq)

    async def drain(self, upto: int) -> int:
        """Apply every message of the filter up to stream sequence ``upto`` (and any
        later one already in hand); returns how many were applied."""
        before = self.applied
        while self.position < upto:
            msgs = await self._next(wait=0.05)
            if not msgs:
                if await self._nothing_more_before(upto):
                    break
                msgs = await self._next(wait=1.0)
            if msgs:
                await self._apply_chunk(msgs)
        return self.applied - before

    async def _nothing_more_before(self, upto: int) -> bool:
        # The filter may match nothing near the tail, so ``upto`` is never reached: then
        # the consumer has nothing left to deliver, and what it delivered was applied.
        assert self._sub is not None
        info = await self._sub.consumer_info()
        delivered = int(info.delivered.stream_seq or 0) if info.delivered else 0
        if delivered > self.position:
            return False  # delivered, still on its way to us
        return delivered >= upto or not info.num_pending

    async def _next(self, *, wait: float) -> list[Msg]:
        assert self._sub is not None
        msgs: list[Msg] = []
        # A timeout ends the chunk with what arrived (maybe nothing): the caller decides.
        with contextlib.suppress(NatsTimeout, TimeoutError):
            msgs.append(await self._sub.next_msg(timeout=wait))
            while len(msgs) < self._chunk and self._sub.pending_msgs > 0:
                msgs.append(await self._sub.next_msg(timeout=wait))
        return msgs

    def _item(self, msg: Msg) -> _Item:
        meta = msg.metadata
        message = Message(consumer=self.durable, stream=meta.stream,
                          stream_seq=meta.sequence.stream, subject=msg.subject,
                          payload=msg.data, deliveries=1)
        try:
            return _Item(message, parse_envelope(msg.data))
        except (MalformedEvent, UnknownEventType) as exc:
            return _Item(message, None, f"undecodable: {exc}")

    async def _apply_chunk(self, msgs: list[Msg]) -> None:
        items = [self._item(m) for m in msgs]
        self.position = max(self.position, items[-1].message.stream_seq)
        await self._apply_items(items)

    async def _apply_items(self, items: list[_Item]) -> None:
        while items:
            done = applied = duplicates = 0
            try:
                async with self._conn.transaction():
                    for item in items:
                        if item.event is None:
                            raise _Fallback
                        if await inbox.claim(self._conn, self.durable, item.event.id):
                            await self._handler(self._conn, item.event)
                            applied += 1
                        else:
                            duplicates += 1
                        done += 1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if is_transient(exc):
                    raise
                # All rolled back: what came before the failure again in one
                # transaction (it applied), the failing one on its own, then the rest.
                if done:
                    await self._apply_items(items[:done])
                await self._settle(items[done], await self._apply_one(items[done]))
                items = items[done + 1:]
                continue
            self.applied += applied
            self.duplicates += duplicates
            return

    async def retry_pending(self) -> bool:
        """Apply what was set aside, in stream order; True if any of it was settled."""
        progress = False
        for item in list(self.pending):
            outcome = await self._apply_one(item)
            if outcome != "pending":
                self.pending.remove(item)
                await self._settle(item, outcome, again=True)
                progress = True
        return progress

    async def adopt_live_letters(self, live: str) -> bool:
        """What is still aside and was dead-lettered by the live worker will never come
        back to it: record the same letter in the shadow, so ``in_order`` goes past it
        there as it did live. True if any was adopted."""
        adopted = False
        for item in list(self.pending):
            status = await self._conn.execute(
                f"insert into dead_letters ({LETTER_COLUMNS}) select {LETTER_COLUMNS}"
                f" from {live}.dead_letters where consumer = $1 and stream = $2"
                " and stream_seq = $3 and status = 'dead' on conflict do nothing",
                self.durable, item.message.stream, item.message.stream_seq,
            )
            if status != "INSERT 0 0":
                self.pending.remove(item)
                self.dead += 1
                adopted = True
        return adopted

    async def _settle(self, item: _Item, outcome: Outcome, again: bool = False) -> None:
        if outcome == "applied":
            self.applied += 1
        elif outcome == "duplicate":
            self.duplicates += 1
        elif outcome == "dead":
            self.dead += 1
        elif not again:
            self.pending.append(item)

    async def _apply_one(self, item: _Item) -> Outcome:
        if item.event is None:
            return await self._dead_letter(item, item.error)
        try:
            async with self._conn.transaction():
                if not await inbox.claim(self._conn, self.durable, item.event.id):
                    return "duplicate"
                await self._handler(self._conn, item.event)
            return "applied"
        except asyncio.CancelledError:
            raise
        except PoisonEvent as exc:
            return await self._dead_letter(item, f"poison: {exc}")
        except Exception as exc:
            if is_transient(exc):
                raise
            item.error = repr(exc)
            return "pending"

    async def _dead_letter(self, item: _Item, reason: str) -> Outcome:
        async with self._conn.transaction():
            await dead_letters.record(self._conn, item.message, item.event, reason)
        log.warning("rebuild_dead_lettered", consumer=self.durable, reason=reason,
                    stream=item.message.stream, stream_seq=item.message.stream_seq)
        return "dead"


class _Fallback(Exception):
    """An undecodable message in a chunk: apply the chunk one by one."""
