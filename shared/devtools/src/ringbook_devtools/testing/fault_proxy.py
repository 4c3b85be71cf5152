"""A TCP proxy that a fault test puts between a client and a real server.

Two faults, because a client sees them differently:

* ``cut()`` makes the server unreachable the way an outage does: established connections
  are reset and new ones refused (the port stops listening), as if the server's host went
  away and came back on the same address; ``restore()`` listens again on the same port.
* ``blackhole()`` makes the path behave like a host that vanished or a network partition:
  nothing is forwarded any more, in either direction, yet every socket stays open, so
  neither end sees a FIN or RST and each learns of the failure only from its own timeouts
  (the kernel answers for a dead process, but not for a vanished host); ``resume()``
  forwards again what was held, as TCP would retransmit it once a partition heals.

The proxy runs in the test's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from ringbook.tasks import TaskSupervisor

_CHUNK = 64 * 1024


@dataclass
class FaultProxy:
    target_host: str
    target_port: int
    port: int = 0
    connections_made: int = 0
    _server: asyncio.Server | None = field(default=None, init=False)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set, init=False)
    _tasks: TaskSupervisor = field(default_factory=TaskSupervisor, init=False)
    _forwarding: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    def __post_init__(self) -> None:
        self._forwarding.set()

    @classmethod
    async def for_url(cls, url: str) -> FaultProxy:
        parts = urlsplit(url)
        assert parts.hostname is not None and parts.port is not None, url
        return await cls(parts.hostname, parts.port).restore()

    def url_through(self, url: str) -> str:
        """``url`` with its host and port replaced by the proxy's."""
        parts = urlsplit(url)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@127.0.0.1:{self.port}" if userinfo else f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    async def restore(self) -> FaultProxy:
        if self._server is None:
            self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
            self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def cut(self) -> None:
        """Refuse new connections and reset the open ones."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def blackhole(self) -> None:
        """Stop forwarding; keep every connection open and accept new ones silently."""
        self._forwarding.clear()

    def resume(self) -> None:
        self._forwarding.set()

    async def close(self) -> None:
        await self.cut()
        await self._tasks.stop(grace_seconds=2)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self._writers.add(client_w)
        # A vanished host takes the connection attempt into the void too.
        await self._forwarding.wait()
        try:
            server_r, server_w = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            client_w.transport.abort()
            return
        self.connections_made += 1
        self._writers.update((client_w, server_w))
        n = self.connections_made
        self._tasks.spawn(f"proxy-up-{n}", self._pipe(client_r, server_w))
        self._tasks.spawn(f"proxy-down-{n}", self._pipe(server_r, client_w))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(_CHUNK):
                await self._forwarding.wait()  # held, not dropped, while blackholed
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass  # the other side went away (or cut() reset it): nothing left to forward
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()
