"""A request as the analytics projection sees it, and how events move its status.

Pure: no I/O, no clock. The status machine itself is the shared contract
(:mod:`ringbook.contracts.request_status`); this module only decides what the
projection does with each event, so the rules can be tested without a database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date

from ringbook.contracts.request_status import RequestStatus, next_status
from ringbook.contracts.requests import RequestReceived
from ringbook.events import Envelope


@dataclass(frozen=True)
class RequestFact:
    request_id: uuid.UUID
    tenant_id: uuid.UUID
    day: date
    status: RequestStatus


def day_of(event: Envelope) -> date:
    """The UTC calendar day an event happened on (never the server's local day)."""
    return event.occurred_at.astimezone(UTC).date()


def fact_from_received(event: Envelope) -> RequestFact:
    """The first fact of a request, from its ``request_received``."""
    if not isinstance(event.data, RequestReceived):
        raise TypeError(f"expected request_received, got {event.type}")
    status = next_status(None, event)
    # next_status(None, request_received) is always QUEUED; asserting keeps the table
    # in one place (the contract) instead of hard-coding "queued" here as well.
    assert status is not None
    return RequestFact(
        request_id=event.aggregate_id,
        tenant_id=event.tenant_id,
        day=day_of(event),
        status=status,
    )


def advance(fact: RequestFact, event: Envelope) -> RequestFact | None:
    """The fact after ``event``, or None when the event leaves the status unchanged.

    Raises :class:`ringbook.contracts.request_status.IllegalTransition` when the event's
    status cannot follow the current one; the caller logs it and applies nothing.
    """
    status = next_status(fact.status, event)
    if status is None:
        return None
    return RequestFact(fact.request_id, fact.tenant_id, fact.day, status)
