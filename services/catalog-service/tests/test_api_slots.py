"""Slot schedules through the API: /api/clients/{id}/slots and /api/phone-numbers/{id}/slots
(PUT/GET/DELETE), event-sourced, validated, tenant-scoped."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from catalog_service.testing.api import CatalogApi
from catalog_service.testing.bookings import SCHEDULE
from ringbook.contracts.bookings import slot_schedule_id


async def _client(catalog: CatalogApi, tenant: uuid.UUID, number: str = "+390612345678"
                  ) -> str:
    made = await catalog.call("POST", "/api/clients", tenant,
                              json={"name": "Spa", "phone_number": number})
    assert made.status_code == 201, made.text
    client_id: str = made.json()["client"]["id"]
    return client_id


async def test_a_clients_slots_set_read_replace_clear(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    client = await _client(catalog, tenant)
    url = f"/api/clients/{client}/slots"
    assert (await catalog.call("GET", url, tenant)).status_code == 404
    put = await catalog.call("PUT", url, tenant, json=SCHEDULE)
    assert put.status_code == 200, put.text
    slots = put.json()["slots"]
    assert (slots["number"], slots["timezone"], slots["reference_prefix"]) == (
        "+390612345678", "Europe/Rome", "SPA")
    assert slots["weekly"][0] == {"weekday": 0, "weekday_name": "monday", "start": "10:00",
                                  "end": "12:00", "capacity": 14}
    assert slots["exceptions"] == [{"date": "2026-12-24", "closed": True}]
    assert (await catalog.call("GET", url, tenant)).json() == {"slots": slots}
    # the same schedule again appends nothing
    await catalog.call("PUT", url, tenant, json=SCHEDULE)
    changed = await catalog.call("PUT", url, tenant, json={
        **SCHEDULE, "reference_prefix": "BEAU",
        "exceptions": [{"date": "2026-02-02", "capacity": 5}]})
    assert changed.json()["slots"]["reference_prefix"] == "BEAU"
    assert changed.json()["slots"]["exceptions"] == [{"date": "2026-02-02", "capacity": 5}]
    cleared = await catalog.call("DELETE", url, tenant)
    assert cleared.status_code == 200 and cleared.json() == {"message": "Slot schedule cleared"}
    assert (await catalog.call("GET", url, tenant)).status_code == 404
    assert (await catalog.call("DELETE", url, tenant)).status_code == 404
    assert await catalog.event_types(slot_schedule_id("client", uuid.UUID(client))) == [
        "slot_schedule_set", "slot_schedule_set", "slot_schedule_cleared"]


async def test_a_phone_numbers_slots_in_the_envelope(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    number = await catalog.created("/api/phone-numbers/", tenant,
                                   {"phone_number": "+4930123456"})
    url = f"/api/phone-numbers/{number['id']}/slots"
    put = await catalog.call("PUT", url, tenant, json=SCHEDULE)
    assert put.status_code == 200, put.text
    assert put.json()["success"] is True and put.json()["data"]["number"] == "+4930123456"
    assert put.json()["data"]["business_kind"] == "phone_number"
    got = await catalog.call("GET", url, tenant)
    assert got.json() == put.json()
    other = await catalog.call("GET", url, uuid.uuid4())
    assert other.status_code == 404 and other.json()["success"] is False
    assert (await catalog.call("DELETE", url, tenant)).json()["success"] is True


async def test_another_tenants_client_is_404_and_unchanged(catalog: CatalogApi) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    client = await _client(catalog, a)
    url = f"/api/clients/{client}/slots"
    await catalog.call("PUT", url, a, json=SCHEDULE)
    for method in ("GET", "PUT", "DELETE"):
        response = await catalog.call(method, url, b,
                                      json=SCHEDULE if method == "PUT" else None)
        assert response.status_code == 404, (method, response.text)
        assert response.json() == {"error": "Client not found"}
    assert (await catalog.call("GET", url, a)).status_code == 200


def _with(**changes: Any) -> dict[str, Any]:
    return {**SCHEDULE, **changes}


def _slot(**changes: Any) -> dict[str, Any]:
    return _with(weekly=[{"weekday": 0, "start": "10:00", "end": "12:00", "capacity": 14,
                          **changes}])


@pytest.mark.parametrize(("body", "field"), [
    (_with(timezone="Mars/Olympus"), "timezone"),
    ({k: v for k, v in SCHEDULE.items() if k != "timezone"}, "timezone"),
    (_with(reference_prefix="spa"), "reference_prefix"),
    (_with(reference_prefix="TOOLONGX"), "reference_prefix"),
    (_with(weekly=[]), "weekly"),
    (_slot(start="12:00", end="10:00"), "weekly[0]"),
    (_slot(start="10:00", end="10:00"), "weekly[0]"),
    (_slot(start="25:00"), "weekly[0].start"),
    (_slot(weekday=7), "weekly[0].weekday"),
    (_slot(weekday="funday"), "weekly[0].weekday"),
    (_slot(capacity=0), "weekly[0].capacity"),
    (_slot(capacity=10_001), "weekly[0].capacity"),
    (_slot(capacity="14"), "weekly[0].capacity"),
    (_with(weekly=[{"weekday": 0, "start": "10:00", "end": "12:00", "capacity": 1},
                   {"weekday": "monday", "start": "11:00", "end": "13:00", "capacity": 1}]),
     "weekly"),
    (_with(exceptions=[{"date": "24/12/2026", "closed": True}]), "exceptions[0].date"),
    (_with(exceptions=[{"date": "2026-12-24"}]), "exceptions[0]"),
    (_with(exceptions=[{"date": "2026-12-24", "closed": True, "capacity": 3}]),
     "exceptions[0]"),
    (_with(extra=1), "extra"),
])
async def test_bad_schedules_are_422_and_store_nothing(
        catalog: CatalogApi, body: dict[str, Any], field: str) -> None:
    tenant = uuid.uuid4()
    client = await _client(catalog, tenant)
    before = await catalog.stored()
    response = await catalog.call("PUT", f"/api/clients/{client}/slots", tenant, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["details"][0]["field"] == field, response.text
    assert await catalog.stored() == before


async def test_a_body_that_is_not_an_object_is_422(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    client = await _client(catalog, tenant)
    for body in ([1, 2], "x", None):
        response = await catalog.call("PUT", f"/api/clients/{client}/slots", tenant, json=body)
        assert response.status_code == 422, response.text
        assert "error" in response.json()
