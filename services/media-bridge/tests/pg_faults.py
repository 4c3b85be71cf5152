"""Real Postgres faults for the bridge's tests.

:func:`kill_writes` installs a trigger in the test's schema that terminates the very
connection inserting a matching row (``pg_terminate_backend`` on its own backend, in the
middle of the transaction), so the write fails exactly as it does when the server
restarts or the connection drops: the client gets 57P01 and a dead socket, and the
transaction is rolled back. The kills are counted by a sequence: sequences are not
transactional, so the count survives the rollback the kill causes. A switch row lets the
test end the outage when it chooses (:meth:`ConnectionKiller.stop`).

:func:`delay_writes` makes every matching insert slow instead (``pg_sleep`` in a
trigger): a server that answers, late. :class:`CommitAnswerCutter` loses the answer to
a COMMIT that the server carried out: the write committed, the client saw it fail.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg


@dataclass(frozen=True)
class ConnectionKiller:
    database_url: str
    sequence: str
    switch: str
    times: int

    async def kills(self) -> int:
        """How many writes have been killed so far."""
        conn = await asyncpg.connect(self.database_url)
        try:
            row = await conn.fetchrow(f"select last_value, is_called from {self.sequence}")
        finally:
            await conn.close()
        assert row is not None
        return min(int(row["last_value"]), self.times) if row["is_called"] else 0

    async def stop(self) -> None:
        """The outage is over: no write is killed from now on."""
        conn = await asyncpg.connect(self.database_url)
        try:
            await conn.execute(f"update {self.switch} set killing = false")
        finally:
            await conn.close()


async def kill_writes(
    database_url: str, *, schema: str, table: str, condition: str, times: int
) -> ConnectionKiller:
    """Kill the connection of the first ``times`` inserts into ``schema.table`` whose new
    row satisfies ``condition`` (SQL over ``new``, e.g. ``new.type = 'call_completed'``),
    until :meth:`ConnectionKiller.stop`."""
    name = f"kill_{table}"
    sequence, switch = f"{schema}.{name}_count", f"{schema}.{name}_switch"
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f"""
            create sequence {sequence};
            create table {switch} (killing boolean not null);
            insert into {switch} values (true);
            create function {schema}.{name}() returns trigger language plpgsql as $fault$
            begin
                if ({condition}) and (select killing from {switch}) then
                    if nextval('{sequence}') <= {times} then
                        perform pg_terminate_backend(pg_backend_pid());
                        -- The termination is acted on at the next interrupt check: here.
                        perform pg_sleep(30);
                    end if;
                end if;
                return new;
            end
            $fault$;
            create trigger {name} before insert on {schema}.{table}
                for each row execute function {schema}.{name}();
        """)
    finally:
        await conn.close()
    return ConnectionKiller(database_url, sequence, switch, times)


async def delay_writes(database_url: str, *, schema: str, table: str, seconds: float) -> None:
    """Every insert into ``schema.table`` takes ``seconds`` longer: a slow server."""
    name = f"delay_{table}"
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f"""
            create function {schema}.{name}() returns trigger language plpgsql as $fault$
            begin
                perform pg_sleep({float(seconds)});
                return new;
            end
            $fault$;
            create trigger {name} before insert on {schema}.{table}
                for each row execute function {schema}.{name}();
        """)
    finally:
        await conn.close()


class CommitAnswerCutter:
    """A TCP proxy in front of Postgres that, once armed, lets the next ``COMMIT`` through
    and then cuts the client off before the server's answer reaches it: the transaction
    committed, and the client cannot know. The server side stays connected (so the
    commit is surely processed) until the proxy closes."""

    def __init__(self, database_url: str) -> None:
        self._upstream = urlsplit(database_url)
        self._server: asyncio.Server | None = None
        self._armed = False
        self._links: list[asyncio.StreamWriter] = []
        self.cuts = 0

    def url(self) -> str:
        """``database_url`` with the proxy's address instead of the server's."""
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        netloc = self._upstream.netloc.rsplit("@", 1)
        address = f"127.0.0.1:{port}"
        return urlunsplit(self._upstream._replace(
            netloc=f"{netloc[0]}@{address}" if len(netloc) == 2 else address))

    def cut_next_commit(self) -> None:
        self._armed = True

    async def __aenter__(self) -> CommitAnswerCutter:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._links:
            writer.close()
        await self._server.wait_closed()

    async def _link(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        server_in, server_out = await asyncio.open_connection(
            self._upstream.hostname, self._upstream.port or 5432)
        self._links += [client_out, server_out]
        cut = asyncio.Event()

        async def to_server() -> None:
            while chunk := await client_in.read(65536):
                server_out.write(chunk)
                await server_out.drain()
                if self._armed and b"COMMIT" in chunk:
                    self._armed = False
                    self.cuts += 1
                    cut.set()
                    client_out.transport.abort()
                    return
            server_out.close()  # the client left: so does its server connection

        async def to_client() -> None:
            while chunk := await server_in.read(65536):
                if cut.is_set():
                    return
                client_out.write(chunk)
                await client_out.drain()
            client_out.close()  # the server closed (after the client's Terminate)

        with contextlib.suppress(ConnectionError, OSError):
            await asyncio.gather(to_server(), to_client())
