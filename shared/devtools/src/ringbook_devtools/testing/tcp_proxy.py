"""A TCP proxy a fault test puts between a client and a server.

``blackhole()`` makes the path behave like a host that vanished or a network partition:
nothing is forwarded any more, in either direction, yet every socket stays open, so
neither end sees a FIN or RST and each only learns of the failure from its own timeouts.
That is the failure a closed connection or a killed server process cannot show: the
kernel on the other side answers for a dead process, but not for a vanished host.
"""

from __future__ import annotations

import asyncio
import contextlib

from ringbook.tasks import TaskSupervisor

_CHUNK = 64 * 1024


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._forwarding = asyncio.Event()
        self._forwarding.set()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks = TaskSupervisor()
        self.port = 0

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def blackhole(self) -> None:
        """Stop forwarding; keep every connection open and accept new ones silently."""
        self._forwarding.clear()

    def resume(self) -> None:
        self._forwarding.set()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._tasks.stop(grace_seconds=2.0)
        if self._server is not None:
            await self._server.wait_closed()

    def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self._writers.add(client_w)
        self._tasks.spawn("proxy:connect", self._connect(client_r, client_w))

    async def _connect(
        self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter
    ) -> None:
        # A vanished host takes the connection attempt into the void too.
        await self._forwarding.wait()
        try:
            server_r, server_w = await asyncio.open_connection(*self._target)
        except OSError:
            client_w.close()
            return
        self._writers.add(server_w)
        self._tasks.spawn("proxy:up", self._pump(client_r, server_w, client_w))
        self._tasks.spawn("proxy:down", self._pump(server_r, client_w, server_w))

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter,
        peer: asyncio.StreamWriter,
    ) -> None:
        try:
            # A reset on either side ends the pump like a close does.
            with contextlib.suppress(ConnectionError, OSError):
                while data := await source.read(_CHUNK):
                    # Held, not dropped: what TCP would retransmit once a partition heals.
                    await self._forwarding.wait()
                    sink.write(data)
                    await sink.drain()
        finally:
            # One side closed: close the other, as a real path would carry the FIN.
            for writer in (sink, peer):
                with contextlib.suppress(Exception):
                    writer.close()
