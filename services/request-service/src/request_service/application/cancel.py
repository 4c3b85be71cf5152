"""Canceling a request: append ``request_canceled`` and move the status, together.

The new event's version is the aggregate's current version + 1 (optimistic
concurrency). The request row is locked first, so within this service a conflict is
unlikely; one retry covers a writer that bypassed the lock, and a second conflict is
surfaced to the client as 409 rather than looping.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from ringbook.clock import Clock
from ringbook.contracts.request_status import RequestStatus, next_status
from ringbook.contracts.requests import RequestCanceled
from ringbook.events import Envelope, new_event
from ringbook.store.event_store import ConcurrencyConflict

from request_service.application.ports import UnitOfWork
from request_service.domain.requests import Owner


class RequestNotFound(Exception):
    pass


class RequestAlreadyFinished(Exception):
    def __init__(self, status: RequestStatus) -> None:
        super().__init__(f"Request is already {status}")
        self.status = status


@dataclass(frozen=True)
class Canceled:
    event: Envelope
    status: RequestStatus


async def cancel_request(
    uow: UnitOfWork,
    request_id: uuid.UUID,
    *,
    owner: Owner,
    reason: str | None,
    clock: Clock,
) -> Canceled:
    for round_ in range(2):
        try:
            async with uow.transaction() as tx:
                record = await tx.lock(request_id)
                if record is None or not record.owned_by(owner):
                    raise RequestNotFound
                if record.terminal:
                    raise RequestAlreadyFinished(record.status)
                event = new_event(
                    RequestCanceled(reason=reason),
                    aggregate_id=request_id,
                    version=await tx.current_version(request_id) + 1,
                    tenant_id=record.tenant_id,
                    correlation_id=request_id,
                    clock=clock,
                )
                # Every non-terminal status may move to canceled; next_status is still
                # the one judge, so the table stays the single source of that rule.
                status = next_status(record.status, event) or record.status
                await tx.append([event])
                await tx.set_status(request_id, status, at=event.occurred_at)
                await tx.add_timeline(request_id, event, status)
                return Canceled(event, status)
        except ConcurrencyConflict:
            if round_ == 1:
                raise
    raise AssertionError("unreachable")
