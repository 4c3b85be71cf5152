"""Turning "Postgres is not there" into the application's StoreUnavailable.

Only failures to reach or keep the server are translated: those are worth retrying. A
constraint violation or a bug in our SQL stays what it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
from ringbook.logging import get_logger

from media_bridge.application.ports import StoreUnavailable

log = get_logger(__name__)

# How long a write waits for a pooled connection (or a new one) before it counts as
# failed and is retried: asyncpg's own connect timeout is 60 s.
ACQUIRE_TIMEOUT_SECONDS = 5.0

UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, unreachable, reset
    TimeoutError,  # acquire/connect/command timeout
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.exceptions.OperatorInterventionError,  # class 57: terminated, shutting down
    asyncpg.InterfaceError,  # the connection closed under us (mid-transaction too)
)


@contextmanager
def store_unavailable_on_connection_errors() -> Iterator[None]:
    try:
        yield
    except UNAVAILABLE as exc:
        log.warning("postgres_unavailable", error=repr(exc))
        raise StoreUnavailable(str(exc) or type(exc).__name__) from exc
