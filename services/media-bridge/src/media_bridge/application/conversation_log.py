"""A conversation's events, numbered 1, 2, 3 … with no gap, whatever the store does.

Consumers apply a conversation's events in version order, so a version that is taken
and never stored would make them wait for it for ever. Hence:

* a version is taken only by a write that committed: the events of a step (a tool
  call's, or the report at the end) are built at the next free versions, written in one
  transaction, and counted only once the store said yes;
* a write the store could not complete (``StoreUnavailable``: the server went away,
  perhaps after it committed) is retried with the very same events, same ids and
  versions, until it commits or the step's time is up; the store treats a batch it
  already holds as written, so a commit whose answer was lost is not stored twice;
* a step that gave up (out of time, cancelled, any other error) leaves its batch
  *unsettled*: it may have committed at the last moment. The next step first asks the
  store how far the aggregate got and starts after that. No one else writes this
  aggregate (its id is made here, one per call), so whatever is stored is ours: a step
  that did commit is never overwritten, one that did not leaves no hole. A
  ``VersionConflict`` means the same (an unsettled batch committed late) and is settled
  the same way;
* one step writes at a time: tool calls run concurrently (a slow HTTP tool must not hold
  up the others), and two batches built at the same versions would settle each other's
  count wrongly, so their commits queue behind one lock.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence

from ringbook.clock import Clock
from ringbook.contracts.calls import CONVERSATION, INBOUND_CALL
from ringbook.events import Envelope, EventData, new_event
from ringbook.logging import get_logger

from media_bridge.application.ports import ConversationStore, StoreUnavailable, VersionConflict
from media_bridge.domain.call_facts import CallFacts

log = get_logger(__name__)

Write = Callable[[Sequence[Envelope]], Awaitable[None]]

# Pauses between attempts: short at first (a dropped connection is replaced at once),
# doubling up to a second (a restarting server takes a few).
FIRST_RETRY_SECONDS = 0.05
MAX_RETRY_SECONDS = 1.0


class ConversationLog:
    def __init__(self, *, aggregate_id: uuid.UUID, store: ConversationStore, clock: Clock) -> None:
        self.aggregate_id = aggregate_id
        self._store, self._clock = store, clock
        self.version = 0  # the last version known to be stored
        self._unsettled = False  # a write gave up: it may have committed after all
        self._writing = asyncio.Lock()

    async def commit(
        self,
        facts: CallFacts,
        datas: Sequence[EventData],
        *,
        within: float,
        write: Write | None = None,
    ) -> None:
        """Store ``datas`` as the conversation's next events, together (with ``write``,
        e.g. the report's row in the same transaction). Retries while the store is
        unavailable, for at most ``within`` seconds (waiting for another step's write
        included); then raises its last error."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        try:
            async with asyncio.timeout_at(deadline):
                await self._writing.acquire()
        except TimeoutError:
            raise StoreUnavailable("an earlier write of this conversation is still retried"
                                   ) from None
        try:
            await self._commit(facts, datas, deadline, write or self._store.append)
        finally:
            self._writing.release()

    async def _commit(
        self, facts: CallFacts, datas: Sequence[EventData], deadline: float, write: Write
    ) -> None:
        loop = asyncio.get_running_loop()
        pause = FIRST_RETRY_SECONDS
        batch: list[Envelope] | None = None
        while True:
            try:
                if self._unsettled:
                    self.version = await self._store.stored_version(self.aggregate_id)
                    self._unsettled = False
                    batch = None  # its versions may be taken now
                if batch is None:
                    batch = self._batch(facts, datas)
                await write(batch)
            except (StoreUnavailable, VersionConflict) as exc:
                # Unavailable: the same batch again (it may have committed: then the
                # store finds it). Conflict: settle first, then a batch after it.
                self._unsettled = self._unsettled or isinstance(exc, VersionConflict)
                if loop.time() + pause > deadline:
                    self._unsettled = True
                    raise
                log.warning("conversation_write_retried", error=repr(exc), pause=pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_RETRY_SECONDS)
                continue
            except BaseException:
                self._unsettled = True  # cancelled or failed mid-write: fate unknown
                raise
            self.version += len(batch)
            return

    def _batch(self, facts: CallFacts, datas: Sequence[EventData]) -> list[Envelope]:
        if not datas:
            return []  # a write with no events (the report of a call with no tenant)
        tenant_id = facts.tenant_id
        if tenant_id is None:
            raise ValueError("a conversation's events need its tenant")
        return [
            new_event(
                data,
                # Inbound calls have no request behind them: their conversation lives on
                # the inbound_call aggregate, which the request projections do not follow.
                aggregate=CONVERSATION if facts.outbound else INBOUND_CALL,
                aggregate_id=self.aggregate_id,
                version=self.version + n,
                tenant_id=tenant_id,
                correlation_id=facts.request_id or self.aggregate_id,
                clock=self._clock,
            )
            for n, data in enumerate(datas, start=1)
        ]
