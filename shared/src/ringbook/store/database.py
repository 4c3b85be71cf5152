"""asyncpg pools bound to one service schema.

Every connection's ``search_path`` is the service's schema, so service SQL names its
tables unqualified and a test can give each run a fresh schema by name alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# A connection from ``pool.acquire()`` is a proxy; code that runs inside a transaction
# accepts either kind.
Conn: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def checked_schema(name: str) -> str:
    """Schema names are interpolated into DDL, so they must be plain identifiers."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"invalid schema name {name!r}")
    return name


async def create_pool(
    dsn: str, *, schema: str, min_size: int = 2, max_size: int = 10,
    notify_outbox: bool = True,
) -> asyncpg.Pool:
    """``notify_outbox=False``: the pool's commits of outbox rows send no NOTIFY (the
    writer wakes the relay itself, see ``ringbook.store.outbox_wake``)."""
    schema = checked_schema(schema)
    settings = {"search_path": schema, "application_name": f"ringbook-{schema}"}
    if not notify_outbox:
        settings["ringbook.outbox_notify"] = "off"
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        server_settings=settings,
        command_timeout=30,
        reset=_reset,
    )
    assert pool is not None
    return pool


async def _reset(conn: asyncpg.Connection) -> None:
    """What a released connection needs before its next use, in place of asyncpg's
    default reset, which costs every release a round trip (``pg_advisory_unlock_all();
    CLOSE ALL; UNLISTEN *; RESET ALL``) and so every accept one of its two.

    Pool connections carry no session state, by rule: LISTEN, session-level advisory
    locks and ``SET`` live on dedicated connections (:func:`connect`, the migrator's, the
    rebuild's), and ``set local`` ends with its transaction. What is left is a
    transaction still open after a cancelled caller, and that one is rolled back."""
    if conn.is_in_transaction():
        await conn.execute("rollback")


async def connect(
    dsn: str, *, schema: str, session_settings: Mapping[str, str] | None = None
) -> asyncpg.Connection:
    """A single connection outside the pool (LISTEN, advisory-lock leadership).

    ``session_settings`` are further run-time parameters of this session
    (``idle_session_timeout``, ``application_name`` …), set at connect."""
    settings = {**(session_settings or {}), "search_path": checked_schema(schema)}
    return await asyncpg.connect(dsn, server_settings=settings, command_timeout=30)
