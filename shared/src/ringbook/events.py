"""The one envelope every event travels in.

Invariants the envelope carries, and why they hold:

* ``id`` is unique and doubles as JetStream's ``Nats-Msg-Id``, so a republish after a
  relay crash is dropped by the stream's de-duplication window, and as the key of every
  consumer's inbox, so a redelivery is a no-op.
* ``(aggregate_id, version)`` is unique in the owning service's event table: two writers
  that both read version 3 cannot both append version 4 (optimistic concurrency).
* ``data`` is validated against the catalogue entry for ``type``; an unknown type is
  rejected, never guessed (see :mod:`ringbook.contracts.catalogue`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ringbook.clock import Clock
from ringbook.ids import new_event_id


class EventData(BaseModel):
    """Base of every event's payload model. Subclasses are registered in the catalogue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def message(self) -> str:
        """A human sentence for the request's timeline (seed 000's ``message``)."""
        return ""


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    type: str
    aggregate: str
    aggregate_id: uuid.UUID
    version: int = Field(ge=1)
    tenant_id: uuid.UUID
    occurred_at: AwareDatetime
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    data: EventData

    @property
    def subject(self) -> str:
        from ringbook.contracts.catalogue import subject_for

        return subject_for(self)

    def to_json(self) -> bytes:
        body: dict[str, Any] = self.model_dump(mode="json", exclude={"data"})
        body["data"] = self.data.model_dump(mode="json")
        return orjson.dumps(body)


def new_event(
    data: EventData,
    *,
    aggregate_id: uuid.UUID,
    version: int,
    tenant_id: uuid.UUID,
    correlation_id: uuid.UUID,
    clock: Clock,
    causation_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
    aggregate: str | None = None,
) -> Envelope:
    """Wrap ``data`` in an envelope; the type comes from the catalogue, and so does the
    aggregate unless the type allows several and one is named."""
    from ringbook.contracts.catalogue import entry_for_data

    entry = entry_for_data(data)
    if aggregate is not None and aggregate not in entry.aggregates:
        raise ValueError(f"{entry.name} is not an event of aggregate {aggregate!r}")
    return Envelope(
        id=new_event_id(),
        type=entry.name,
        aggregate=aggregate or entry.aggregate,
        aggregate_id=aggregate_id,
        version=version,
        tenant_id=tenant_id,
        occurred_at=occurred_at or clock.now(),
        correlation_id=correlation_id,
        causation_id=causation_id,
        data=data,
    )
