"""Identifiers.

Event ids are UUIDv7: time-ordered, so the events table's primary key index grows at
its right edge instead of splitting random pages, and an id sorts near its neighbours.
"""

from __future__ import annotations

import uuid

import uuid6


def new_event_id() -> uuid.UUID:
    return uuid.UUID(bytes=uuid6.uuid7().bytes)


def new_id() -> uuid.UUID:
    """Ids of entities (users, attempts): also v7, for the same index locality."""
    return new_event_id()
