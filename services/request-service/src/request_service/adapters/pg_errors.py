"""Turning "Postgres is not there" into the application's StoreUnavailable (the kernel
says which failures those are: ``ringbook.store.unavailable``)."""

from __future__ import annotations

from contextlib import AbstractContextManager

from ringbook.store.unavailable import ACQUIRE_TIMEOUT_SECONDS, reraise_unavailable

from request_service.application.ports import StoreUnavailable

__all__ = ["ACQUIRE_TIMEOUT_SECONDS", "store_unavailable_on_connection_errors"]


def store_unavailable_on_connection_errors() -> AbstractContextManager[None]:
    return reraise_unavailable(StoreUnavailable)
