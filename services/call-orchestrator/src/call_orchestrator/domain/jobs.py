"""A call job: the orchestrator's process state for one request (or one inbound call).

A job is ``active`` from its request's arrival until it is settled: ``finished`` (booked,
the practice asked to be called back, or every attempt used up) or ``canceled`` (the
user's word, which nothing overrides). Only an active job is dialled; the two ends are
final, so a late event can never bring a settled request back to the dialer.

The job is also the event-sourced aggregate its calls' events belong to (``call_job``
for a request, ``inbound_call`` for a call that came in): ``version`` is the last
version appended, so the next event is ``version + 1``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from ringbook.clock import Clock
from ringbook.contracts.calls import AGGREGATE
from ringbook.events import Envelope, EventData, new_event


class JobState(StrEnum):
    ACTIVE = "active"  # waiting for its next attempt, or on a call
    FINISHED = "finished"  # settled by a result, or out of attempts
    CANCELED = "canceled"  # the request was canceled

    @property
    def settled(self) -> bool:
        return self is not JobState.ACTIVE


@dataclass(frozen=True)
class Job:
    request_id: uuid.UUID
    tenant_id: uuid.UUID
    number_to_call: str
    timezone: str
    request: dict[str, object]
    state: JobState
    version: int
    aggregate: str = AGGREGATE

    @property
    def active(self) -> bool:
        return self.state is JobState.ACTIVE

    @property
    def outbound(self) -> bool:
        """A request's job (dialled by us), not an inbound call's."""
        return self.aggregate == AGGREGATE

    def new_events(self, clock: Clock, events: Sequence[EventData], *,
                   causation_id: uuid.UUID | None = None) -> list[Envelope]:
        """``events`` as the job aggregate's next versions, correlated to its request."""
        return [
            new_event(data, aggregate_id=self.request_id, version=self.version + n,
                      tenant_id=self.tenant_id, correlation_id=self.request_id,
                      causation_id=causation_id, clock=clock, aggregate=self.aggregate)
            for n, data in enumerate(events, start=1)
        ]

    def at_version(self, version: int) -> Job:
        return replace(self, version=version)
