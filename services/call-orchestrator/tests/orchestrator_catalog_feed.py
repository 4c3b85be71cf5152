"""catalog-service's side of the CATALOG stream, for call-orchestrator's tests: its
events about numbers, clients and business hours, published on the real stream as its
relay would (``Nats-Msg-Id`` = the event id), and a wait for the orchestrator's catalog
consumer to have applied one (its inbox row commits with the projection's change)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
import nats
from call_orchestrator.application.catalog_events import CATALOG_CONSUMER
from ringbook.clock import FakeClock
from ringbook.contracts.catalog import (
    BusinessHoursCleared,
    BusinessHoursSet,
    ClientCreated,
    ClientDeleted,
    ClientUpdated,
    PhoneNumberAdded,
    PhoneNumberReleased,
    PhoneNumberUpdated,
    business_hours_id,
)
from ringbook.contracts.streams import CATALOG
from ringbook.events import Envelope, EventData, new_event
from ringbook_devtools.testing.streams import settled_everything
from ringbook_devtools.testing.waiting import eventually


@dataclass
class CatalogFeed:
    js: nats.js.JetStreamContext
    database_url: str
    schema: str
    # catalog-service's clock: each event is stamped one second after the one before.
    clock: FakeClock = field(default_factory=lambda: FakeClock(datetime(2026, 11, 1, tzinfo=UTC)))

    def event(self, data: EventData, *, tenant: uuid.UUID, aggregate_id: uuid.UUID,
              version: int) -> Envelope:
        self.clock.advance(timedelta(seconds=1))
        return new_event(data, aggregate_id=aggregate_id, version=version, tenant_id=tenant,
                         correlation_id=aggregate_id, clock=self.clock)

    def number(self, tenant: uuid.UUID, owner_id: uuid.UUID, number: str, version: int = 1,
               ) -> Envelope:
        data = (PhoneNumberAdded if version == 1 else PhoneNumberUpdated)(
            phone_number=number, friendly_name="Empfang", provider_sid="PN" + "0" * 32)
        return self.event(data, tenant=tenant, aggregate_id=owner_id, version=version)

    def released(self, tenant: uuid.UUID, owner_id: uuid.UUID, number: str, version: int
                 ) -> Envelope:
        return self.event(PhoneNumberReleased(phone_number=number), tenant=tenant,
                          aggregate_id=owner_id, version=version)

    def client(self, tenant: uuid.UUID, client_id: uuid.UUID, number: str, version: int = 1
               ) -> Envelope:
        data = (ClientCreated if version == 1 else ClientUpdated)(
            name="Salon Sonja", phone_number=number, profession="Friseurin")
        return self.event(data, tenant=tenant, aggregate_id=client_id, version=version)

    def client_deleted(self, tenant: uuid.UUID, client_id: uuid.UUID, number: str,
                       version: int) -> Envelope:
        return self.event(ClientDeleted(phone_number=number), tenant=tenant,
                          aggregate_id=client_id, version=version)

    def hours(self, tenant: uuid.UUID, number: str, weekly_hours: str | None,
              timezone: str | None = None, *, version: int = 1) -> Envelope:
        """``business_hours_set`` (or, with ``weekly_hours`` None, ``_cleared``)."""
        data: EventData = (BusinessHoursCleared(number=number) if weekly_hours is None else
                           BusinessHoursSet(number=number, weekly_hours=weekly_hours,
                                            timezone=timezone))
        return self.event(data, tenant=tenant, aggregate_id=business_hours_id(tenant, number),
                          version=version)

    async def publish(self, event: Envelope, *, msg_id: str | None = None) -> None:
        """On the stream; ``msg_id`` other than the event's id makes a redelivery that
        JetStream's de-duplication lets through (as one older than its window)."""
        await self.js.publish(event.subject, event.to_json(),
                              headers={"Nats-Msg-Id": msg_id or str(event.id)})

    async def applied(self, *events: Envelope) -> None:
        """Wait until the catalog consumer has applied (or skipped) each event."""
        ids = [event.id for event in events]

        async def claimed() -> bool:
            conn = await asyncpg.connect(self.database_url,
                                         server_settings={"search_path": self.schema})
            try:
                found = await conn.fetchval(
                    "select count(*) from inbox where consumer = $1 and event_id = any($2)",
                    CATALOG_CONSUMER, ids)
            finally:
                await conn.close()
            return int(found) == len(ids)

        await eventually(claimed, what=f"{CATALOG_CONSUMER} applying {len(ids)} event(s)",
                         poll=0.1)

    async def drained(self) -> None:
        """Wait until the catalog consumer has acked every message on the stream (each
        one applied, skipped as a duplicate, or dead-lettered): what was published was
        handled, so an effect it did not have is not merely late."""

        await eventually(lambda: settled_everything(self.js, CATALOG.name, CATALOG_CONSUMER),
                         what=f"{CATALOG_CONSUMER} acking the whole stream", poll=0.1)

    async def send(self, *events: Envelope) -> None:
        for event in events:
            await self.publish(event)
        await self.applied(*events)
