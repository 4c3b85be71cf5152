"""Live timeline wake-ups: ONE Postgres LISTEN connection per process, fanned out.

The ``request_timeline`` trigger NOTIFYs ``request_timeline_<schema>`` with the request
id when a row commits. This hub holds the only listening connection of the process and
wakes the subscribers of that request; a subscriber then reads its new rows by ``seq``.

Why a wake-up and not the row itself: each subscriber's queue holds at most one pending
signal (bounded, and a burst of events coalesces into one read), and the database, not
the notification, is the record, so nothing is lost if a notification is. Notifications
sent while the listener was reconnecting are lost, so on every (re)connect the hub wakes
all subscribers once, and they catch up from their last ``seq``. No client polls.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
from ringbook.logging import get_logger
from ringbook.store.database import connect

log = get_logger(__name__)


class TimelineSubscription:
    def __init__(self, request_id: uuid.UUID) -> None:
        self.request_id = request_id
        self._signal: asyncio.Queue[None] = asyncio.Queue(maxsize=1)

    def wake(self) -> None:
        # A full queue already holds a wake-up the subscriber has not consumed: the one
        # read it will do covers this notification too.
        if not self._signal.full():
            self._signal.put_nowait(None)

    async def wait(self) -> None:
        await self._signal.get()


class TimelineHub:
    def __init__(
        self,
        *,
        dsn: str,
        schema: str,
        max_subscribers: int = 10_000,
        health_interval: float = 10.0,
    ) -> None:
        self._dsn, self._schema = dsn, schema
        self._channel = f"request_timeline_{schema}"
        # A soft cap the route checks before opening a stream (each one holds a socket
        # and a task); the hub itself never refuses a subscription.
        self.max_subscribers = max_subscribers
        self._health_interval = health_interval
        self._subscribers: dict[uuid.UUID, set[TimelineSubscription]] = {}
        self.listening = asyncio.Event()
        self._established = False

    @property
    def subscriber_count(self) -> int:
        return sum(len(subs) for subs in self._subscribers.values())

    @contextmanager
    def subscribe(self, request_id: uuid.UUID) -> Iterator[TimelineSubscription]:
        """Subscribe BEFORE reading the backlog, so nothing committed in between is
        missed; the subscription is removed however the stream ends."""
        sub = TimelineSubscription(request_id)
        self._subscribers.setdefault(request_id, set()).add(sub)
        try:
            yield sub
        finally:
            subs = self._subscribers.get(request_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subscribers[request_id]

    def _wake_all(self) -> None:
        for subs in self._subscribers.values():
            for sub in subs:
                sub.wake()

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: object) -> None:
        try:
            request_id = uuid.UUID(str(payload))
        except ValueError:
            log.warning("timeline_notify_ignored", payload=str(payload)[:100])
            return
        for sub in self._subscribers.get(request_id, ()):
            sub.wake()

    async def run(self) -> None:
        """Listen forever (a tracked background task); reconnect with backoff."""
        backoff = 0.2
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._established:  # it worked for a while: start the backoff afresh
                    backoff = 0.2
                log.warning("timeline_listener_error", error=repr(exc), retry_in=backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    async def _listen(self) -> None:
        self._established = False
        conn = await connect(self._dsn, schema=self._schema)
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _c: lost.set())
        try:
            await conn.add_listener(self._channel, self._on_notify)
            self._established = True
            self.listening.set()
            self._wake_all()  # whatever committed while we were not listening
            log.info("timeline_listener_listening", channel=self._channel)
            while not lost.is_set():
                try:
                    await asyncio.wait_for(lost.wait(), self._health_interval)
                except TimeoutError:
                    # An idle socket can die silently (NAT, failover); a round trip
                    # notices it, and the reconnect above re-wakes every stream.
                    await conn.fetchval("select 1", timeout=5)
            raise ConnectionError("listener connection terminated")
        finally:
            self.listening.clear()
            await _close_quietly(conn)


async def _close_quietly(conn: asyncpg.Connection) -> None:
    try:
        await asyncio.wait_for(conn.close(), 2)
    except Exception:
        conn.terminate()
