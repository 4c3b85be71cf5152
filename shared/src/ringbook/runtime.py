"""A service's runtime: the pool, NATS, streams, the outbox relay and its workers.

Wired in the app's lifespan (never at import). Start-up order matters:

1. migrations, then the pool: a service never runs against an old schema;
2. NATS in the background: a gateway must accept (durably, via the outbox) while NATS
   is down, so the HTTP side does not wait for it; readiness reports it instead;
3. the bus link (:mod:`ringbook.bus.link`) verifies the server and ensures the streams
   and durable consumers (created explicitly before the first fetch), retrying until
   that succeeds and again after every reconnect; the first time it is ready, the relay
   and the consumers start. The relay publishes only while the link is ready.

Readiness (``/ready``) says whether to send this process work; liveness (``/health``)
whether to restart it. Liveness fails when a supervised task crashed, or when the link
has been connected but not ready for longer than ``UNREADY_LIVENESS_SECONDS``: a state
the process has not left by itself, which a restart may cure and at least makes loud.
Unreachable servers alone never fail liveness: restarting cannot bring them back.

A service whose work outlives a request (media-bridge's calls) registers a drain
(``drain_with``): its process's first SIGTERM then runs it (:mod:`ringbook.web.serve`)
before the server stops, and readiness fails meanwhile ("draining"), so no new work is
routed to it. Services without one stop as uvicorn stops them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from ringbook.auth import TokenService
from ringbook.bus.connection import ServerCheck
from ringbook.bus.link import BusLink
from ringbook.bus.streams import ensure_stream
from ringbook.bus.worker import ConsumerSpec, Handler, PullWorker
from ringbook.clock import Clock, SystemClock
from ringbook.contracts.streams import StreamSpec
from ringbook.logging import get_logger
from ringbook.settings import ServiceSettings
from ringbook.store.database import create_pool
from ringbook.store.migrations import migrate
from ringbook.store.outbox_relay import OutboxRelay
from ringbook.store.outbox_wake import OutboxWaker
from ringbook.tasks import TaskSupervisor

log = get_logger(__name__)
BackgroundJob = Callable[["ServiceRuntime"], Coroutine[Any, Any, None]]
# Finishes the work under way and refuses new work; returns once there is none left.
Drain = Callable[[], Coroutine[Any, Any, None]]
# After a drain, how long the relay may take to publish what the drained work committed.
OUTBOX_FLUSH_SECONDS = 5.0


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    migrations_dir: Path | None
    streams: Sequence[StreamSpec] = ()
    relay: bool = True
    # False: commits through this pool send no NOTIFY for the relay; the writer calls
    # outbox_written() after each instead (ringbook.store.outbox_wake says why).
    notify_outbox: bool = True
    clock: Clock = field(default_factory=SystemClock)
    consumers: list[tuple[ConsumerSpec, Handler]] = field(default_factory=list)
    jobs: list[tuple[str, BackgroundJob]] = field(default_factory=list)

    pool: asyncpg.Pool = field(init=False)
    tokens: TokenService = field(init=False)
    tasks: TaskSupervisor = field(init=False, default_factory=TaskSupervisor)
    bus: BusLink = field(init=False)
    outbox_relay: OutboxRelay | None = field(init=False, default=None)
    outbox_waker: OutboxWaker | None = field(init=False, default=None)
    _workers: list[PullWorker] = field(init=False, default_factory=list)
    _consuming: bool = field(init=False, default=False)
    _drain: Drain | None = field(init=False, default=None)
    draining: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.bus = BusLink(servers=s.nats_servers, name=s.service_name,
                           monitor_url=s.nats_monitor_url, prepare=self._prepare_bus,
                           clock=self.clock)

    @property
    def nc(self) -> NATS | None:
        return self.bus.nc

    @property
    def js(self) -> JetStreamContext | None:
        return self.bus.js

    @property
    def server_check(self) -> ServerCheck | None:
        return self.bus.check

    def add_consumer(self, spec: ConsumerSpec, handler: Handler) -> None:
        self.consumers.append((spec, handler))

    def add_job(self, name: str, job: BackgroundJob) -> None:
        """A background loop that needs only Postgres (it starts before NATS is up)."""
        self.jobs.append((name, job))

    def drain_with(self, drain: Drain) -> None:
        """Have this process's first SIGTERM run ``drain`` before it stops."""
        self._drain = drain

    @property
    def drains(self) -> bool:
        return self._drain is not None

    async def drain_now(self) -> None:
        """Unready from now on; returns once the registered drain has finished."""
        self.draining = True
        log.info("drain_started")
        if self._drain is not None:
            await self._drain()
        await self._flush_outbox(OUTBOX_FLUSH_SECONDS)
        log.info("drain_finished")

    async def _flush_outbox(self, seconds: float) -> None:
        """Give the relay a moment to publish what the drained work committed: a last
        replica (or one scaled to zero) would otherwise leave it for its next start."""
        if self.outbox_relay is None:
            return
        self.outbox_relay.wake()
        try:
            async with asyncio.timeout(seconds):
                # Polled: the relay marks rows in Postgres, and Postgres signals no update.
                while await self.pool.fetchval(  # noqa: ASYNC110
                        "select exists (select 1 from outbox where published_at is null)"):
                    await asyncio.sleep(0.05)
        except Exception as exc:  # a standby relay, NATS down...: the leader publishes it
            log.warning("drain_outbox_not_flushed", error=repr(exc))

    async def start(self) -> None:
        s = self.settings
        await migrate(s.database_url, s.schema_name, self.migrations_dir)
        self.pool = await create_pool(
            s.database_url, schema=s.schema_name, min_size=s.db_pool_min, max_size=s.db_pool_max,
            notify_outbox=self.notify_outbox,
        )
        if not self.notify_outbox:
            self.outbox_waker = OutboxWaker(pool=self.pool, schema=s.schema_name,
                                            leading_relay=self._leading_relay_wake)
            self.tasks.spawn("outbox-waker", self.outbox_waker.run())
        self.tokens = TokenService(
            s.jwt_secret.get_secret_value(),
            ttl=timedelta(seconds=s.jwt_ttl_seconds),
            clock=self.clock,
        )
        for name, job in self.jobs:
            self.tasks.spawn(name, job(self))
        self.tasks.spawn("nats-link", self.bus.run(self._on_bus_ready))

    def outbox_written(self) -> None:
        """After a commit that queued events, from a pool that does not NOTIFY."""
        if self.outbox_waker is not None:
            self.outbox_waker.written()

    def _leading_relay_wake(self) -> Callable[[], None] | None:
        relay = self.outbox_relay
        return relay.wake if relay is not None and relay.leading else None

    async def _prepare_bus(self, js: JetStreamContext) -> None:
        """What the link ensures on every (re)connected server; idempotent."""
        for stream in self.streams:
            await ensure_stream(js, stream, replicas=self.settings.nats_stream_replicas)
        if not self._workers:
            self._workers = [PullWorker(pool=self.pool, js=js, spec=spec, handler=handler)
                             for spec, handler in self.consumers]
        for worker in self._workers:
            await worker.ensure()

    def _on_bus_ready(self) -> None:
        if self._consuming:  # ready again after a reconnect: publish what waited
            if self.outbox_relay is not None:
                self.outbox_relay.wake()
            return
        self._consuming = True
        s, js = self.settings, self.bus.js
        assert js is not None
        if self.relay:
            self.outbox_relay = OutboxRelay(dsn=s.database_url, schema=s.schema_name, js=js,
                                            may_publish=self.bus.ready.is_set)
            self.tasks.spawn("outbox-relay", self.outbox_relay.run())
        for (spec, _), worker in zip(self.consumers, self._workers, strict=True):
            self.tasks.spawn(f"consumer:{spec.durable}", worker.run())
        log.info("consumers_started", streams=[x.name for x in self.streams])

    async def wait_bus_ready(self, seconds: float) -> None:
        await asyncio.wait_for(self.bus.ready.wait(), seconds)

    async def readiness(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        try:
            await self.pool.fetchval("select 1", timeout=2)
            checks["postgres"] = "ok"
        except Exception as exc:
            checks["postgres"] = f"unavailable: {exc!r}"
        if not self.bus.connected:
            checks["nats"] = "not connected"
        elif not self.bus.ready.is_set():
            checks["nats"] = self.bus.problem
        else:
            checks["nats"] = "ok"
        if self.tasks.crashed:
            checks["tasks"] = "crashed: " + ", ".join(self.tasks.crashed)
        if self.draining:  # finishing its work before it stops: route nothing new here
            checks["drain"] = "draining"
        return checks

    def liveness(self) -> dict[str, str]:
        """Why this process should be restarted; empty while it is alive. No I/O: a
        probe must not fail because a server is slow to answer."""
        problems: dict[str, str] = {}
        if self.tasks.crashed:
            problems["tasks"] = "crashed: " + ", ".join(self.tasks.crashed)
        since = self.bus.unready_since
        if since is not None:
            stuck = (self.clock.now() - since).total_seconds()
            if stuck > self.settings.unready_liveness_seconds:
                problems["nats"] = (f"connected but not ready for {stuck:.0f} s: "
                                    f"{self.bus.problem}")
        return problems

    async def stop(self) -> None:
        await self.tasks.stop()
        nc = self.bus.nc
        if nc is not None and not nc.is_closed:
            try:
                await asyncio.wait_for(nc.close(), 5)
            except (TimeoutError, Exception) as exc:
                log.warning("nats_close_failed", error=repr(exc))
        await self.pool.close()
