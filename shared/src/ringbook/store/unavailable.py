"""Telling "Postgres is not there" apart from every other database error.

Only a failure to reach or keep the server is worth retrying as it is: the same
statement will work once the server is back. A constraint violation or a bug in our SQL
stays what it is (a 409 path, or a failure worth investigating), so it is not listed.
Services translate these into their own port's "store unavailable" error, and the pull
worker counts them as the infrastructure's fault, never the event's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import asyncpg

from ringbook.logging import get_logger

log = get_logger(__name__)

# How long a caller waits for a pooled connection (or a new one) before it counts as
# unavailable: asyncpg's own connect timeout is 60 s, longer than any client waits.
ACQUIRE_TIMEOUT_SECONDS = 5.0

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused, unreachable, reset; TimeoutError (acquire, connect, command) too
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.exceptions.OperatorInterventionError,  # class 57: shutdown, cannot connect now
    asyncpg.InterfaceError,  # the connection closed under us (mid-transaction too)
)


@contextmanager
def reraise_unavailable(as_error: Callable[[str], Exception]) -> Iterator[None]:
    """Re-raise a connection failure inside the block as ``as_error(message)``."""
    try:
        yield
    except CONNECTION_ERRORS as exc:
        log.warning("postgres_unavailable", error=repr(exc))
        raise as_error(str(exc) or type(exc).__name__) from exc
