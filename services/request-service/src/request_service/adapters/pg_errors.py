"""Turning "Postgres is not there" into the application's StoreUnavailable.

Only failures to reach or keep the server are translated; a constraint violation or a
bug in our SQL stays what it is (a 409 path or a 500 worth investigating).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
from ringbook.logging import get_logger

from request_service.application.ports import StoreUnavailable

log = get_logger(__name__)

# How long a request waits for a pooled connection (or a new one) before answering 503.
# asyncpg's own connect timeout is 60 s, far longer than any client waits for a 202.
ACQUIRE_TIMEOUT_SECONDS = 5.0

UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, unreachable, reset
    TimeoutError,  # acquire/connect/command timeout
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.exceptions.OperatorInterventionError,  # class 57: shutdown, cannot connect now
    asyncpg.InterfaceError,  # connection closed under us, pool closed
)


@contextmanager
def store_unavailable_on_connection_errors() -> Iterator[None]:
    try:
        yield
    except UNAVAILABLE as exc:
        log.warning("postgres_unavailable", error=repr(exc))
        raise StoreUnavailable(str(exc) or type(exc).__name__) from exc
