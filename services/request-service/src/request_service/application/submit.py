"""Accepting a call request: one transaction, idempotent on ``request_id``.

One statement (so one round trip and one commit) appends ``request_received`` (version
1 of the request aggregate; the event store writes its outbox row too) and inserts the
read-model row and its first timeline entry. The 202 is answered only after that
commit, so an accepted request is never lost; the outbox relay publishes it to REQUESTS
when NATS is reachable (G1, G2).

Idempotency: a request id already stored with the same normalized body is a client
retry and is answered 202 again without a second event; with a different body it is a
conflict (409). Two identical submissions racing each other both miss the row; the
event store's unique (aggregate_id, version) lets exactly one append version 1 and the
other gets ConcurrencyConflict, tries again, finds the row and compares like any retry
(G11).
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from ringbook.clock import Clock
from ringbook.contracts.request_status import next_status
from ringbook.events import new_event
from ringbook.store.event_store import ConcurrencyConflict

from request_service.application.ports import UnitOfWork
from request_service.domain.requests import CallRequest, RequestRecord


class SubmitOutcome(StrEnum):
    ACCEPTED = "accepted"  # stored now
    REPEATED = "repeated"  # stored before with the same body: a retry
    CONFLICT = "conflict"  # this id is taken by a different request


def _compare(existing: RequestRecord, request: CallRequest, tenant_id: uuid.UUID) -> SubmitOutcome:
    same = (
        existing.body_hash == request.fingerprint()
        and existing.tenant_id == tenant_id
        and existing.user_id == request.user_id
    )
    return SubmitOutcome.REPEATED if same else SubmitOutcome.CONFLICT


async def submit_request(
    uow: UnitOfWork, request: CallRequest, *, tenant_id: uuid.UUID, clock: Clock
) -> SubmitOutcome:
    # Two rounds at most: the second runs only after losing the race for version 1, and
    # then the winner's row is committed (the unique index waited for it), so it is found.
    for round_ in range(2):
        event = new_event(
            request.received(),
            aggregate_id=request.request_id,
            version=1,
            tenant_id=tenant_id,
            correlation_id=request.request_id,
            clock=clock,
        )
        status = next_status(None, event)
        assert status is not None  # request_received always implies queued
        try:
            existing = await uow.accept(request, event, tenant_id=tenant_id, status=status)
        except ConcurrencyConflict:
            if round_ == 1:
                raise
            continue
        return SubmitOutcome.ACCEPTED if existing is None else _compare(existing, request,
                                                                         tenant_id)
    raise AssertionError("unreachable")
