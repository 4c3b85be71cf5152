"""The booking confirmation SMS: each booking_made on CATALOG becomes one text through
Twilio's Messages API (the SIMULATED carrier, which records it), in the caller's
language; a redelivered event sends nothing more, a booking older than 15 minutes is not
texted, and a number the carrier refuses for good is dropped without wedging the texts
behind it (real Postgres, NATS, carrier)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from catalog_service.settings import CatalogSettings
from catalog_service.testing.api import CatalogApi
from catalog_service.testing.bookings import booking_args, function, spa
from nats.js import JetStreamContext
from ringbook.clock import FakeClock
from ringbook.contracts.bookings import BOOKING, BookingMade
from ringbook.events import Envelope, new_event
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.plugin import settings_for
from ringbook_devtools.testing.waiting import eventually
from ringbook_simulators.carrier.settings import CarrierSettings
from ringbook_simulators.carrier.testing import running_carrier

SPA = "+390212345678"


@pytest.fixture
async def carrier_url() -> AsyncIterator[str]:
    async with running_carrier(CarrierSettings()) as (url, _):
        yield url


@pytest.fixture
def settings(infra: ServerSet, fresh_schema: str, tmp_path: Path,
             carrier_url: str) -> CatalogSettings:
    return settings_for(infra, CatalogSettings, service="catalog-service", schema=fresh_schema,
                        file_store_dir=tmp_path / "files", send_booking_sms=True,
                        twilio_api_base_url=carrier_url)


@pytest.fixture
async def js(infra: ServerSet, catalog: CatalogApi) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(infra.nats_url)
    try:
        yield nc.jetstream()
    finally:
        await nc.close()


def booking(clock: FakeClock, number: int, phone: str, language: str | None) -> Envelope:
    booking_id = uuid.uuid4()
    return new_event(
        BookingMade(
            tenant_id=uuid.uuid4(), booking_number=number, reference=f"SPA-{number:06d}",
            business_kind="client", business_id=uuid.uuid4(),
            business_name="Santa Caterina Beauty Farm", number=SPA,
            booking_date=date(2026, 12, 5), slot_start=time(10), slot_end=time(12),
            customer_name="Mario Rossi", customer_phone=phone, language=language,
            source="call", call_sid="CA" + "0" * 32),
        aggregate_id=booking_id, version=1, tenant_id=uuid.uuid4(),
        correlation_id=booking_id, clock=clock, aggregate=BOOKING)


async def publish(js: JetStreamContext, event: Envelope, msg_id: str | None = None) -> None:
    await js.publish(event.subject, event.to_json(),
                     headers={"Nats-Msg-Id": msg_id or str(event.id)})


async def test_each_booking_is_texted_once_in_the_callers_language(
        catalog: CatalogApi, js: JetStreamContext, clock: FakeClock, carrier_url: str) -> None:
    italian = booking(clock, 1, "+393331234567", "it-IT")
    await publish(js, italian)
    await publish(js, italian, msg_id="beyond-the-window")  # a redelivery: the inbox drops it
    await publish(js, booking(clock, 2, "not-a-number", "it"))  # refused for good: dropped
    # Booked 16 minutes ago (SMS turned on since, or an outage): too late to text.
    stale = FakeClock(clock.now() - timedelta(minutes=16))
    await publish(js, booking(stale, 4, "+393339999999", "it"))
    await publish(js, booking(clock, 3, "+4915112345678", "de-DE"))  # behind both
    messages: list[dict[str, Any]] = []

    async def texted() -> bool:
        nonlocal messages
        async with httpx.AsyncClient(base_url=carrier_url) as http:
            messages = (await http.get("/messages")).json()["messages"]
        return len(messages) >= 2

    await eventually(texted, 20, poll=0.1, what=lambda: messages)

    async def drained() -> bool:
        info = await js.consumer_info("CATALOG", "catalog-booking-sms")
        return bool(info.num_pending == 0 and info.num_ack_pending == 0)

    await eventually(drained, 20, poll=0.1, what="the consumer acked every message")
    async with httpx.AsyncClient(base_url=carrier_url) as http:
        messages = (await http.get("/messages")).json()["messages"]
    assert [(m["to"], m["from"]) for m in messages] == [
        ("+393331234567", SPA), ("+4915112345678", SPA)]
    assert messages[0]["body"].startswith("Santa Caterina Beauty Farm: prenotazione confermata")
    assert "SPA-000001" in messages[0]["body"] and "10:00-12:00" in messages[0]["body"]
    assert "Buchung bestätigt" in messages[1]["body"] and "SPA-000003" in messages[1]["body"]


async def test_a_booking_through_the_function_handler_is_texted(
        catalog: CatalogApi, carrier_url: str) -> None:
    tenant = uuid.uuid4()
    await spa(catalog, tenant, SPA)
    booked = await function(catalog, "book_spa_slot", booking_args(), SPA, key="CA1:call_1",
                            context={"language": "it-IT"})
    assert booked.json()["success"] is True, booked.text
    reference = booked.json()["reference"]
    messages: list[dict[str, Any]] = []

    async def texted() -> bool:
        nonlocal messages
        async with httpx.AsyncClient(base_url=carrier_url) as http:
            messages = (await http.get("/messages")).json()["messages"]
        return bool(messages)

    await eventually(texted, 20, poll=0.1, what=lambda: messages)
    assert [(m["to"], m["from"]) for m in messages] == [("+393331234567", SPA)]
    assert reference in messages[0]["body"] and "prenotazione confermata" in messages[0]["body"]
