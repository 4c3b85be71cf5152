"""A service's link to NATS, made ready at start-up and kept ready across reconnects.

Ready means: connected, the server checked safe (:func:`check_server`), and everything
the service declares on it (streams, durable consumers) ensured. Any step can fail for
a while: a server still starting, a JetStream API timeout during a leader election, a
stream the server refuses until an operator removes a conflict. So the preparation is
retried with capped, jittered backoff until it succeeds, never given up.

Every reconnect clears readiness and runs the whole preparation again: the server we
reconnected to may be another one (a cluster member on another version, a server
restarted without ``sync_interval: always``, or one that lost its streams). Until it has
been checked, nothing may be published to it, which is what ``ready`` gates.

``unready_since`` is when the link last became connected but not ready; liveness reads
it. An unreachable server does not count: a restart cannot bring it back.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import datetime

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from ringbook.bus.connection import ServerCheck, check_server, connect_forever
from ringbook.clock import Clock
from ringbook.logging import get_logger

log = get_logger(__name__)
Prepare = Callable[[JetStreamContext], Awaitable[None]]


class ServerRefused(Exception):
    def __init__(self, check: ServerCheck) -> None:
        super().__init__("refused: " + "; ".join(check.problems))


def retry_delay(failures: int, *, first: float = 0.5, cap: float = 30.0) -> float:
    """Exponential, capped, with jitter so replicas that failed together spread out."""
    ceiling: float = min(cap, first * 2 ** max(failures - 1, 0))
    return random.uniform(ceiling / 2, ceiling)


class BusLink:
    def __init__(
        self, *, servers: list[str], name: str, monitor_url: str | None,
        prepare: Prepare, clock: Clock,
    ) -> None:
        self._servers, self._name, self._monitor_url = servers, name, monitor_url
        self._prepare, self._clock = prepare, clock
        self.nc: NATS | None = None
        self.js: JetStreamContext | None = None
        self.check: ServerCheck | None = None
        self.ready = asyncio.Event()
        self.problem = "not connected"
        self.unready_since: datetime | None = None
        self._reconnected = asyncio.Event()

    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    async def run(self, on_ready: Callable[[], None]) -> None:
        """Connect, prepare, and prepare again after every reconnect; ``on_ready`` runs
        each time the link becomes ready."""
        self.nc = await connect_forever(
            self._servers, name=self._name,
            on_disconnect=self._disconnected, on_reconnect=self._on_reconnect,
        )
        self.js = self.nc.jetstream()
        self._unready("preparing", connected=True)
        while True:
            await self._prepare_until_ready(self.nc, self.js)
            on_ready()
            await self._reconnected.wait()

    async def _prepare_until_ready(self, nc: NATS, js: JetStreamContext) -> None:
        failures = 0
        while True:
            # A reconnect during an attempt voids it: part of it ran against the old server.
            self._reconnected.clear()
            try:
                self.check = await check_server(nc, self._monitor_url)
                if not self.check.ok:
                    raise ServerRefused(self.check)
                await self._prepare(js)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                delay = retry_delay(failures)
                reason = str(exc) if isinstance(exc, ServerRefused) else (
                    f"preparing failed: {exc or repr(exc)}")
                self._unready(reason, connected=self.connected)
                log.warning("bus_not_ready", reason=reason, attempt=failures,
                            retry_in=round(delay, 2))
                await self._sleep_unless_reconnected(delay)
                continue
            if self._reconnected.is_set() or not self.connected:
                continue
            self.problem, self.unready_since = "", None
            self.ready.set()
            log.info("bus_ready", attempts=failures + 1)
            return

    async def _sleep_unless_reconnected(self, seconds: float) -> None:
        # A reconnect is a reason to try at once: the new server may be the fixed one.
        try:
            await asyncio.wait_for(self._reconnected.wait(), seconds)
        except TimeoutError:
            return

    def _unready(self, reason: str, *, connected: bool) -> None:
        self.ready.clear()
        self.problem = reason
        if not connected:
            self.unready_since = None
        elif self.unready_since is None:
            self.unready_since = self._clock.now()

    # nats-py awaits these inside its reconnect loop: no I/O here.
    async def _disconnected(self) -> None:
        self._unready("not connected", connected=False)

    async def _on_reconnect(self) -> None:
        self._unready("reconnected: checking the server again", connected=True)
        self._reconnected.set()
