"""The outbox relay: publishes committed outbox rows to JetStream, in order.

One relay per schema is the leader, chosen by a session-level advisory lock held on a
dedicated connection; replicas wait their turn. A single leader keeps publishing order
equal to commit order within the schema, so a consumer sees an aggregate's versions in
sequence. The relay wakes on NOTIFY (sent by the outbox trigger at commit) and sweeps
every ``safety_interval`` seconds anyway, in case a notification was lost while it was
reconnecting.

Crash safety: a row is marked published only after JetStream acknowledged it. A crash in
between republishes the row with the same ``Nats-Msg-Id`` (the event id), which the
stream's de-duplication window drops; beyond the window, consumers' inboxes drop it.

A leader that vanishes without closing its socket (power loss, a partition, a frozen
process) would keep the lock until TCP gives up, which takes hours. So the leader's
session runs with ``idle_session_timeout``: Postgres itself ends a session that has sent
no query for that long, which frees the lock, and a standby polling for it takes over.
A live leader never goes that long without a query: it sweeps at least every
``safety_interval`` and a sweep's publishes end within ``publish_timeout``, so the
timeout must exceed their sum (checked below). That margin also keeps commit order: a
session is ended only after the whole timeout without a query, and every publish of a
batch is written right after the batch's query, so an old leader's last publishes reach
the stream before its successor's first ones (and any the successor repeats are dropped
by their ``Nats-Msg-Id``).

The relay publishes only while ``may_publish()`` says so: the runtime withholds it while
the NATS server is not verified safe (after a reconnect, until it is checked again).
A leader kept waiting still queries (``select 1``) so that it keeps its session.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import asyncpg
from nats.js import JetStreamContext

from ringbook.logging import get_logger
from ringbook.store.database import connect

log = get_logger(__name__)


def _always() -> bool:
    return True


class OutboxRelay:
    def __init__(
        self,
        *,
        dsn: str,
        schema: str,
        js: JetStreamContext,
        may_publish: Callable[[], bool] = _always,
        batch_size: int = 256,
        safety_interval: float = 5.0,
        publish_timeout: float = 5.0,
        session_idle_timeout: float = 15.0,
        standby_poll_interval: float = 2.0,
    ) -> None:
        if safety_interval + publish_timeout >= session_idle_timeout:
            raise ValueError("session_idle_timeout must exceed safety_interval + "
                             "publish_timeout, or Postgres would end a live leader")
        self._dsn, self._schema, self._js = dsn, schema, js
        self._may_publish = may_publish
        self._batch_size = batch_size
        self._safety_interval = safety_interval
        self._publish_timeout = publish_timeout
        self._session_idle_ms = round(session_idle_timeout * 1000)
        self._standby_poll = standby_poll_interval
        self._wake = asyncio.Event()
        self.leading = False
        self.published = 0
        self.held = 0  # sweeps skipped because publishing was not allowed

    def wake(self) -> None:
        """Sweep now (publishing was allowed again)."""
        self._wake.set()

    async def run(self) -> None:
        backoff = 0.2
        while True:
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection lost, NATS down: retry, never give up
                log.warning("outbox_relay_error", error=repr(exc), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _lead(self) -> None:
        conn = await connect(self._dsn, schema=self._schema, session_settings={
            "idle_session_timeout": f"{self._session_idle_ms}ms",
            "application_name": f"ringbook-relay-{self._schema}",
        })
        try:
            # Standby replicas poll for leadership; the lock frees when the leader's
            # session ends, and Postgres offers no notification for that. The poll is
            # also this session's heartbeat.
            while not await conn.fetchval(  # noqa: ASYNC110
                "select pg_try_advisory_lock(hashtext($1))", f"outbox:{self._schema}"
            ):
                await asyncio.sleep(self._standby_poll)
            await conn.add_listener(f"ringbook_outbox_{self._schema}", self._on_notify)
            log.info("outbox_relay_leading", schema=self._schema)
            self.leading = True
            while True:
                self._wake.clear()
                if self._may_publish():
                    sent = await self._publish_batch(conn)
                else:
                    self.held += 1
                    sent = 0
                    await conn.execute("select 1")
                if sent < self._batch_size:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._safety_interval)
        finally:
            self.leading = False
            # Bounded: over a dead path a graceful close would wait for ever (it aborts
            # the socket when the bound passes, which ends the session just the same).
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    async def _publish_batch(self, conn: asyncpg.Connection) -> int:
        rows = await conn.fetch(
            "select seq, event_id, subject, payload from outbox"
            " where published_at is null order by seq limit $1",
            self._batch_size,
        )
        if not rows:
            return 0
        # Publishes share one connection and are written to the socket in order, so the
        # stream stores them in seq order even though we await the acks together.
        acks = await asyncio.gather(
            *(
                self._js.publish(
                    r["subject"],
                    bytes(r["payload"]),
                    headers={"Nats-Msg-Id": str(r["event_id"])},
                    timeout=self._publish_timeout,
                )
                for r in rows
            ),
            return_exceptions=True,
        )
        done = [
            r["seq"]
            for r, ack in zip(rows, acks, strict=True)
            if not isinstance(ack, BaseException)
        ]
        if done:
            await conn.execute(
                "update outbox set published_at = now() where seq = any($1::bigint[])", done
            )
            self.published += len(done)
        failed = [a for a in acks if isinstance(a, BaseException)]
        if failed:
            raise RuntimeError(f"{len(failed)} publishes failed, first: {failed[0]!r}")
        return len(rows)
