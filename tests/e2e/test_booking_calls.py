"""Seed 004 end to end: callers book the spa's capacity-limited slots by phone.

Through the gateway a business owner sets up Santa Caterina Beauty Farm (a client with
an Italian number) and its four daily slots; tomorrow's slots hold 2 places (an
exception), so the second booking of 10:00 fills it. Then three SIMULATED callers ring
the number through the SIMULATED carrier, each playing its script with the SIMULATED
realtime model (chosen by the caller's number, which media-bridge tells the model):

1. Giulia books tomorrow at ten and hears her reference;
2. once 10:00 is full, another caller asks for it, hears the alternatives and books the
   first one (12:00);
3. Giulia, from another phone, cancels her booking by its reference.

Each call's effect is read where a user would see it: the owner's bookings of the day
through the gateway, the ``call_completed`` transcript on the CALLS stream, and the
confirmation SMS the simulated carrier recorded. Another tenant sees none of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from ringbook_devtools.system import LocalSystem
from ringbook_devtools.testing.waiting import eventually
from ringbook_simulators.realtime.bookings import BOOKING_CALLER, CANCEL_CALLER, FULL_SLOT_CALLER

from tests.e2e.support import User, register, running_system
from tests.e2e.test_inbound_call import call_completed

pytestmark = pytest.mark.e2e
SPA_NUMBER, SPA_E164 = "+39 02 1234 5678", "+390212345678"
INTERNAL = {"Authorization": "Bearer ringbook-development-internal-token"}
WEEKLY = [{"weekday": d, "start": f"{h}:00", "end": f"{h + 2}:00", "capacity": 14}
          for d in range(7) for h in (10, 12, 14, 16)]


@pytest.fixture(scope="module")
def system(request: pytest.FixtureRequest) -> Iterator[LocalSystem]:
    yield from running_system(request, SEND_BOOKING_SMS="true")


def tomorrow_in_rome() -> date:
    return datetime.now(ZoneInfo("Europe/Rome")).date() + timedelta(days=1)


async def set_up_the_spa(owner: User, day: date) -> str:
    http, auth = owner.client, owner.auth
    created = await http.post("/api/clients", headers=auth, json={
        "name": "Santa Caterina Beauty Farm", "phone_number": SPA_NUMBER})
    assert created.status_code == 201, created.text
    spa = str(created.json()["client"]["id"])
    slots = await http.put(f"/api/clients/{spa}/slots", headers=auth, json={
        "timezone": "Europe/Rome", "reference_prefix": "SPA", "weekly": WEEKLY,
        "exceptions": [{"date": day.isoformat(), "capacity": 2}]})
    assert slots.status_code == 200, slots.text
    return spa


async def wait_until_the_call_path_knows(system: LocalSystem) -> None:
    """The CATALOG stream has reached call-orchestrator (the number's tenant) and
    media-bridge (the number's slots, which give its calls the booking tools)."""
    conn = await asyncpg.connect(system.database_url)
    try:
        async def known() -> bool:
            return bool(await conn.fetchval(
                "select exists (select 1 from call_orchestrator.catalog_numbers"
                "               where phone_number = $1)"
                " and exists (select 1 from media_bridge.booking_lines where number = $1)",
                SPA_E164))

        await eventually(known, 60, what="the spa's number and slots projected", poll=0.5)
    finally:
        await conn.close()


async def ring(system: LocalSystem, carrier: httpx.AsyncClient, caller: str) -> list[
        tuple[str, str]]:
    """A call from ``caller`` to the spa, played to its end; its transcript."""
    rung = await carrier.post("/simulate/incoming-call", json={"from": caller, "to": SPA_NUMBER})
    assert rung.status_code == 201, rung.text
    sid = rung.json()["sid"]
    ended = await call_completed(
        system, lambda e: e.data.call_sid == sid and bool(e.data.transcript), within=150)
    assert ended.data.outcome == "ended", ended.data  # the agent's end_call hung up
    return [(line.speaker, line.text) for line in ended.data.transcript]


async def bookings_of(owner: User, day: date) -> list[dict[str, Any]]:
    listed = await owner.client.get(f"/api/bookings/{day.isoformat()}", headers=owner.auth)
    assert listed.status_code == 200, listed.text
    rows: list[dict[str, Any]] = listed.json()
    return rows


def agent_lines(said: list[tuple[str, str]]) -> str:
    return "\n".join(text for who, text in said if who == "agent")


# Three phone calls one after the other, each a real conversation with the SIMULATED
# model: on a loaded 2-core machine they took longer than the suite's 120 s default.
@pytest.mark.timeout(300)
async def test_callers_book_a_full_slot_s_alternative_and_cancel_by_reference(
    system: LocalSystem,
) -> None:
    day = tomorrow_in_rome()
    async with (httpx.AsyncClient(base_url=system.gateway, timeout=30) as gateway,
                httpx.AsyncClient(base_url=system.url("carrier"), timeout=30) as carrier):
        owner, stranger = await register(gateway), await register(gateway)
        await set_up_the_spa(owner, day)
        await wait_until_the_call_path_knows(system)

        # 1. Giulia books tomorrow at ten, and hears the reference of her booking.
        said = await ring(system, carrier, BOOKING_CALLER)
        [giulia] = await bookings_of(owner, day)
        assert (giulia["customer_name"], giulia["customer_phone"], giulia["slot_start_time"],
                giulia["status"]) == ("Giulia Rossi", BOOKING_CALLER, "10:00:00", "confirmed")
        reference = giulia["booking_reference"]
        assert reference.startswith("SPA-")
        assert f"Il suo codice è {reference}" in agent_lines(said), said

        # Her confirmation, texted in Italian through the carrier's Messages API.
        texts: list[dict[str, Any]] = []

        async def texted() -> bool:
            nonlocal texts
            texts = [m for m in (await carrier.get("/messages")).json()["messages"]
                     if m["to"] == BOOKING_CALLER]
            return bool(texts)

        await eventually(texted, 60, what=lambda: f"the SMS to Giulia: {texts}", poll=0.5)
        assert len(texts) == 1 and reference in texts[0]["body"], texts

        # 2. Somebody fills 10:00 (2 places tomorrow); the next caller who asks for it
        # hears it is full and takes the first free slot offered instead.
        filled = await gateway.post("/api/function-handler", headers=INTERNAL, json={
            "function_name": "book_spa_slot",
            "arguments": {"customer_name": "Mario Bianchi", "customer_phone": "+393339990000",
                          "date": day.isoformat(), "start_time": "10:00"},
            "context": {"to": SPA_E164, "language": "it"}})
        assert filled.status_code == 200 and filled.json()["success"] is True, filled.text
        said = await ring(system, carrier, FULL_SLOT_CALLER)
        assert "al completo" in agent_lines(said), said
        taken = [b for b in await bookings_of(owner, day)
                 if b["customer_phone"] == FULL_SLOT_CALLER]
        assert [(b["slot_start_time"], b["status"]) for b in taken] == [
            ("12:00:00", "confirmed")], taken

        # 3. Giulia cancels by reference: her place is free again, exactly once.
        said = await ring(system, carrier, CANCEL_CALLER)
        assert reference in "\n".join(text for who, text in said if who == "callee"), said
        assert f"La prenotazione {reference} è cancellata" in agent_lines(said), said
        rows = {b["booking_reference"]: b for b in await bookings_of(owner, day)}
        assert rows[reference]["status"] == "cancelled"
        check = await gateway.post("/api/function-handler", headers=INTERNAL, json={
            "function_name": "check_slot_availability",
            "arguments": {"date": day.isoformat(), "start_time": "10:00"},
            "context": {"to": SPA_E164}})
        assert check.json()["available"] is True and check.json()["spots_remaining"] == 1

        # Another tenant sees none of the spa's bookings and cannot cancel them.
        assert await bookings_of(stranger, day) == []
        probe = await gateway.post(f"/api/bookings/{reference}/cancel", headers=stranger.auth)
        assert probe.status_code == 404 and "error" in probe.json(), probe.text
        # A date the caller said in words reaches the model as a sentence to say back.
        bad = await gateway.post("/api/function-handler", headers=INTERNAL, json={
            "function_name": "check_slot_availability",
            "arguments": {"date": "domani", "start_time": "10:00"},
            "context": {"to": SPA_E164, "language": "it"}})
        assert bad.status_code == 200 and bad.json()["available"] is False, bad.text
        assert "AAAA-MM-GG" in bad.json()["message"]
