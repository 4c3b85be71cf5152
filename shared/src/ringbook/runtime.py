"""A service's runtime: the pool, NATS, streams, the outbox relay and its workers.

Wired in the app's lifespan (never at import). Start-up order matters:

1. migrations, then the pool: a service never runs against an old schema;
2. NATS in the background: a gateway must accept (durably, via the outbox) while NATS
   is down, so the HTTP side does not wait for it; readiness reports it instead;
3. once connected: verify the server, ensure streams, then start the relay and the
   durable consumers (created explicitly before the first fetch).
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
from ringbook.bus.connection import ServerCheck, check_server, connect_forever
from ringbook.bus.streams import ensure_stream
from ringbook.bus.worker import ConsumerSpec, Handler, PullWorker
from ringbook.clock import Clock, SystemClock
from ringbook.contracts.streams import StreamSpec
from ringbook.logging import get_logger
from ringbook.settings import ServiceSettings
from ringbook.store.database import create_pool
from ringbook.store.migrations import migrate
from ringbook.store.outbox_relay import OutboxRelay
from ringbook.tasks import TaskSupervisor

log = get_logger(__name__)
BackgroundJob = Callable[["ServiceRuntime"], Coroutine[Any, Any, None]]


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    migrations_dir: Path | None
    streams: Sequence[StreamSpec] = ()
    relay: bool = True
    clock: Clock = field(default_factory=SystemClock)
    consumers: list[tuple[ConsumerSpec, Handler]] = field(default_factory=list)
    jobs: list[tuple[str, BackgroundJob]] = field(default_factory=list)

    pool: asyncpg.Pool = field(init=False)
    nc: NATS | None = field(init=False, default=None)
    js: JetStreamContext | None = field(init=False, default=None)
    tokens: TokenService = field(init=False)
    tasks: TaskSupervisor = field(init=False, default_factory=TaskSupervisor)
    server_check: ServerCheck | None = field(init=False, default=None)
    _bus_ready: asyncio.Event = field(init=False, default_factory=asyncio.Event)

    def add_consumer(self, spec: ConsumerSpec, handler: Handler) -> None:
        self.consumers.append((spec, handler))

    def add_job(self, name: str, job: BackgroundJob) -> None:
        """A background loop that needs only Postgres (it starts before NATS is up)."""
        self.jobs.append((name, job))

    async def start(self) -> None:
        s = self.settings
        await migrate(s.database_url, s.schema_name, self.migrations_dir)
        self.pool = await create_pool(
            s.database_url, schema=s.schema_name, min_size=s.db_pool_min, max_size=s.db_pool_max
        )
        self.tokens = TokenService(
            s.jwt_secret.get_secret_value(),
            ttl=timedelta(seconds=s.jwt_ttl_seconds),
            clock=self.clock,
        )
        for name, job in self.jobs:
            self.tasks.spawn(name, job(self))
        self.tasks.spawn("nats-bootstrap", self._bootstrap_bus())

    async def _bootstrap_bus(self) -> None:
        s = self.settings
        self.nc = await connect_forever(s.nats_servers, name=s.service_name)
        self.server_check = await check_server(self.nc, s.nats_monitor_url)
        if not self.server_check.ok:
            # Refuse readiness, do not publish: unsafe durability is not a degraded mode.
            log.error("nats_server_refused", problems=self.server_check.problems)
            return
        self.js = self.nc.jetstream()
        for stream in self.streams:
            await ensure_stream(self.js, stream, replicas=s.nats_stream_replicas)
        if self.relay:
            relay = OutboxRelay(dsn=s.database_url, schema=s.schema_name, js=self.js)
            self.tasks.spawn("outbox-relay", relay.run())
        for spec, handler in self.consumers:
            worker = PullWorker(pool=self.pool, js=self.js, spec=spec, handler=handler)
            await worker.ensure()
            self.tasks.spawn(f"consumer:{spec.durable}", worker.run())
        self._bus_ready.set()
        log.info("bus_ready", streams=[x.name for x in self.streams])

    async def wait_bus_ready(self, seconds: float) -> None:
        await asyncio.wait_for(self._bus_ready.wait(), seconds)

    async def readiness(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        try:
            await self.pool.fetchval("select 1", timeout=2)
            checks["postgres"] = "ok"
        except Exception as exc:
            checks["postgres"] = f"unavailable: {exc!r}"
        if self.server_check is not None and not self.server_check.ok:
            checks["nats"] = "refused: " + "; ".join(self.server_check.problems)
        elif self.nc is None or not self.nc.is_connected or not self._bus_ready.is_set():
            checks["nats"] = "not connected"
        else:
            checks["nats"] = "ok"
        if self.tasks.crashed:
            checks["tasks"] = "crashed: " + ", ".join(self.tasks.crashed)
        return checks

    async def stop(self) -> None:
        await self.tasks.stop()
        if self.nc is not None and not self.nc.is_closed:
            try:
                await asyncio.wait_for(self.nc.close(), 5)
            except (TimeoutError, Exception) as exc:
                log.warning("nats_close_failed", error=repr(exc))
        await self.pool.close()
