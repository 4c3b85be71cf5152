"""What the projection needs from its store, as a protocol; the asyncpg adapter in
``analytics_service.adapters`` implements it on the pull worker's connection."""

from __future__ import annotations

import uuid
from typing import Protocol

from ringbook.events import Envelope

from analytics_service.domain.request_fact import RequestFact


class FactsTransaction(Protocol):
    """The request facts inside the pull worker's transaction (which holds the event's
    inbox claim): whatever a handler writes commits with that claim or not at all."""

    async def insert(self, fact: RequestFact) -> bool:
        """Insert a new fact; False if the request is already projected (a replay)."""
        ...

    async def get_for_update(self, request_id: uuid.UUID) -> RequestFact | None:
        """The fact, row-locked until the transaction ends."""
        ...

    async def update_status(self, fact: RequestFact) -> None: ...

    async def in_order(self, consumer: str, event: Envelope) -> bool:
        """True if ``event`` is its aggregate's next version for ``consumer``; False if
        already applied; raises RetryLater on a gap."""
        ...
