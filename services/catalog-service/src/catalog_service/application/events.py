"""Numbering the events one command decides, per aggregate, from the versions it read."""

from __future__ import annotations

import uuid

from ringbook.clock import Clock
from ringbook.events import Envelope, EventData, new_event
from ringbook.ids import new_id


class EventBatch:
    """The events of one command, in order, all sharing one correlation id (so the
    cascade of a deletion can be followed on the stream)."""

    def __init__(self, tenant_id: uuid.UUID, clock: Clock) -> None:
        self.tenant_id, self._clock = tenant_id, clock
        self.correlation_id = new_id()
        self.events: list[Envelope] = []
        self._last: dict[uuid.UUID, int] = {}

    def add(self, aggregate_id: uuid.UUID, data: EventData, *, after: int) -> Envelope:
        """Append ``data`` to ``aggregate_id``, whose last version was ``after`` when
        read (or whatever this batch appended to it since)."""
        version = max(after, self._last.get(aggregate_id, 0)) + 1
        self._last[aggregate_id] = version
        event = new_event(
            data,
            aggregate_id=aggregate_id,
            version=version,
            tenant_id=self.tenant_id,
            correlation_id=self.correlation_id,
            clock=self._clock,
        )
        self.events.append(event)
        return event

    def version_of(self, aggregate_id: uuid.UUID, read: int) -> int:
        return max(read, self._last.get(aggregate_id, 0))
