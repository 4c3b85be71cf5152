"""Which failures count towards an event's dead letter: its content's, never the
infrastructure's (what asyncpg, the OS, nats-py and httpx raise while a server is away,
restarting, overloaded, or a transaction lost a race)."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import nats.errors
import pytest
from ringbook.bus.failures import TransientFailure, is_transient
from ringbook.store.event_store import ConcurrencyConflict

INFRASTRUCTURE = [
    ConnectionRefusedError(111, "Connect call failed"),
    ConnectionResetError(),
    TimeoutError(),
    asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.InterfaceError("connection is closed"),
    asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
    asyncpg.exceptions.SerializationError("could not serialize access"),
    asyncpg.exceptions.DeadlockDetectedError("deadlock detected"),
    asyncpg.exceptions.QueryCanceledError("canceling statement due to statement timeout"),
    ConcurrencyConflict(uuid.uuid4(), 3),
    nats.errors.ConnectionClosedError(),
    nats.errors.TimeoutError(),
    httpx.ConnectError("refused"),
    TransientFailure("the catalog is down"),
]
CONTENT = [
    ValueError("bad data"),
    KeyError("missing"),
    asyncpg.exceptions.UniqueViolationError("duplicate key"),
    asyncpg.exceptions.DataError("invalid input syntax"),
    asyncpg.exceptions.CheckViolationError("violates check constraint"),
    httpx.HTTPStatusError("422", request=httpx.Request("GET", "http://x"),
                          response=httpx.Response(422)),
]


@pytest.mark.parametrize("exc", INFRASTRUCTURE, ids=lambda e: type(e).__name__)
def test_infrastructure_failures_are_not_the_events_fault(exc: Exception) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize("exc", CONTENT, ids=lambda e: type(e).__name__)
def test_content_failures_count(exc: Exception) -> None:
    assert not is_transient(exc)


def test_a_handler_error_raised_from_an_outage_is_the_outage() -> None:
    try:
        try:
            raise asyncpg.exceptions.AdminShutdownError("shutting down")
        except asyncpg.PostgresError as cause:
            raise RuntimeError("could not load the job") from cause
    except RuntimeError as wrapped:
        assert is_transient(wrapped)
    # Only an explicit cause counts: an error raised while handling another is its own.
    try:
        try:
            raise OSError("gone")
        except OSError:
            raise ValueError("bad data")  # noqa: B904
    except ValueError as unrelated:
        assert not is_transient(unrelated)
