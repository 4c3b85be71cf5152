"""The booking functions through POST /api/function-handler (seed 004's shapes), the
owner's GET /api/bookings/{date} and cancel, bad inputs (4xx JSON or model-facing
answers, never 5xx) and the rate limits."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from catalog_service.settings import CatalogSettings
from catalog_service.testing.api import CatalogApi
from catalog_service.testing.bookings import (
    MONDAY,
    SCHEDULE,
    TUESDAY,
    booking_args,
    function,
    internal,
    spa,
)
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.plugin import settings_for

NUMBER = "+390612345678"


@pytest.fixture
def settings(infra: ServerSet, fresh_schema: str, tmp_path: Any) -> CatalogSettings:
    return settings_for(infra, CatalogSettings, service="catalog-service", schema=fresh_schema,
                        file_store_dir=tmp_path / "files", function_handler_rate_limit="",
                        bookings_api_rate_limit="")


async def test_check_book_daily_and_cancel_in_the_seeds_shapes(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    client = await spa(catalog, tenant, NUMBER)
    check = await function(catalog, "check_slot_availability",
                           {"date": MONDAY, "start_time": "10:00"}, NUMBER)
    assert check.status_code == 200
    assert check.json() == {"available": True, "spots_remaining": 14,
                            "message": "Slot available with 14 spots remaining"}
    booked = await function(catalog, "book_spa_slot", booking_args(), NUMBER, key="a")
    body = booked.json()
    assert body == {
        "success": True, "booking_id": body["booking_id"],
        "reference": f"SPA-{body['booking_id']:06d}",
        "message": "Your spa session is booked for February 2, 2026 from 10:00 to 12:00. "
                   f"Your reference is {body['reference']}.",
        "details": {"date": MONDAY, "time": "10:00 - 12:00", "name": "Mario Rossi"},
    }
    again = await function(catalog, "book_spa_slot", booking_args(), NUMBER, key="a")
    assert again.json()["reference"] == body["reference"]
    daily = await function(catalog, "get_daily_availability", {"date": MONDAY}, NUMBER)
    assert daily.json() == [
        {"slot_start": "10:00:00", "slot_end": "12:00:00", "bookings_count": 1,
         "spots_available": 13, "is_full": False},
        {"slot_start": "12:00:00", "slot_end": "14:00:00", "bookings_count": 0,
         "spots_available": 14, "is_full": False},
        {"slot_start": "14:00:00", "slot_end": "16:00:00", "bookings_count": 0,
         "spots_available": 2, "is_full": False},
    ]
    listed = await catalog.call("GET", f"/api/bookings/{MONDAY}", tenant)
    assert listed.status_code == 200
    [row] = listed.json()
    assert row == {
        "id": body["booking_id"], "customer_name": "Mario Rossi",
        "customer_phone": "+393331234567",  # customer_phone empty: the context's
        "booking_date": MONDAY, "slot_start_time": "10:00:00", "slot_end_time": "12:00:00",
        "booking_reference": body["reference"], "status": "confirmed",
        "created_at": "2026-01-15T09:00:00Z", "business_id": client["id"],
    }
    wrong_phone = await function(catalog, "cancel_booking", {
        "reference": body["reference"], "customer_phone": "+390000000000"}, NUMBER)
    assert wrong_phone.json()["success"] is False
    assert wrong_phone.json()["error"] == "booking_not_found"
    cancel = await function(catalog, "cancel_booking",
                            {"reference": body["reference"].lower()}, NUMBER)
    assert cancel.json() == {"success": True, "reference": body["reference"],
                             "message": f"Booking {body['reference']} is cancelled."}
    by_owner = await catalog.call("POST", f"/api/bookings/{body['reference']}/cancel", tenant)
    assert by_owner.json()["already_cancelled"] is True
    assert (await catalog.call("GET", f"/api/bookings/{MONDAY}", tenant)).json()[0][
        "status"] == "cancelled"
    assert await catalog.pool.fetchval("select booked from slots") == 0


async def test_a_full_slot_offers_the_nearest_free_ones(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    await spa(catalog, tenant, NUMBER)
    for i in range(2):
        made = await function(catalog, "book_spa_slot", booking_args("14:00", f"G{i}"), NUMBER)
        assert made.json()["success"] is True
    full = await function(catalog, "book_spa_slot", booking_args("14:00"), NUMBER)
    body = full.json()
    assert body["success"] is False and body["error"] == "slot_full"
    assert [(a["date"], a["start_time"]) for a in body["alternatives"]] == [
        (MONDAY, "12:00"), (MONDAY, "10:00"), (TUESDAY, "10:00")]
    assert "full" in body["message"]
    check = await function(catalog, "check_slot_availability",
                           {"date": MONDAY, "start_time": "14:00"}, NUMBER)
    assert check.json()["available"] is False and check.json()["spots_remaining"] == 0
    assert check.json()["alternatives"][0]["start_time"] == "12:00"
    assert await catalog.count("bookings") == 2


async def test_the_tool_call_id_makes_a_repeat_a_no_op(catalog: CatalogApi) -> None:
    await spa(catalog, uuid.uuid4(), NUMBER)
    context = {"call_sid": "CA" + "1" * 32, "tool_call_id": "call_7"}
    first = await function(catalog, "book_spa_slot", booking_args(), NUMBER, context=context)
    second = await function(catalog, "book_spa_slot", booking_args(), NUMBER, context=context)
    assert first.json()["reference"] == second.json()["reference"]
    assert await catalog.count("bookings") == 1
    # without a key (no header, no tool call id), each call books
    await function(catalog, "book_spa_slot", booking_args(), NUMBER)
    await function(catalog, "book_spa_slot", booking_args(), NUMBER)
    assert await catalog.count("bookings") == 3


async def test_exceptions_close_a_day_or_change_its_capacity(catalog: CatalogApi) -> None:
    schedule = {"timezone": "Europe/Rome", "weekly": [
        {"weekday": 0, "start": "10:00", "end": "12:00", "capacity": 14}],
        "exceptions": [{"date": MONDAY, "capacity": 1}, {"date": "2026-02-09", "closed": True}]}
    await spa(catalog, uuid.uuid4(), NUMBER, schedule)
    check = await function(catalog, "check_slot_availability",
                           {"date": MONDAY, "start_time": "10:00"}, NUMBER)
    assert check.json()["spots_remaining"] == 1
    closed = await function(catalog, "get_daily_availability", {"date": "2026-02-09"}, NUMBER)
    assert closed.json() == []
    no_slot = await function(catalog, "book_spa_slot", booking_args(day="2026-02-09"), NUMBER)
    assert no_slot.json()["success"] is False and no_slot.json()["error"] == "no_such_slot"


async def test_a_slot_that_started_today_cannot_be_booked(catalog: CatalogApi) -> None:
    # the fake clock: Thursday 2026-01-15 09:00 UTC, 10:00 in Rome
    await spa(catalog, uuid.uuid4(), NUMBER, {"timezone": "Europe/Rome", "weekly": [
        {"weekday": 3, "start": "09:00", "end": "10:00", "capacity": 5},
        {"weekday": 3, "start": "11:00", "end": "12:00", "capacity": 5}]})
    today = "2026-01-15"
    started = await function(catalog, "book_spa_slot", booking_args("09:00", day=today),
                             NUMBER)
    body = started.json()
    assert body["success"] is False and body["error"] == "slot_started", body
    assert [a["start_time"] for a in body["alternatives"]] == ["11:00"]
    later = await function(catalog, "book_spa_slot", booking_args("11:00", day=today), NUMBER)
    assert later.json()["success"] is True
    check = await function(catalog, "check_slot_availability",
                           {"date": today, "start_time": "09:00"}, NUMBER)
    assert check.json()["available"] is False and check.json()["error"] == "slot_started"


async def test_messages_in_italian_and_german(catalog: CatalogApi) -> None:
    await spa(catalog, uuid.uuid4(), NUMBER)
    it = await function(catalog, "book_spa_slot", booking_args(), NUMBER,
                        context={"language": "it-IT"})
    assert it.json()["message"].startswith("La sua sessione è prenotata per il 2 febbraio 2026")
    de = await function(catalog, "check_slot_availability",
                        {"date": MONDAY, "start_time": "10:00"}, NUMBER,
                        context={"language": "de"})
    assert de.json()["message"] == "Termin verfügbar, noch 13 Plätze frei"


@pytest.mark.parametrize(("name", "arguments", "error"), [
    ("check_slot_availability", {"date": "15/01/2026", "start_time": "10:00"}, "invalid_date"),
    ("check_slot_availability", {"date": "2026-02-30", "start_time": "10:00"}, "invalid_date"),
    ("check_slot_availability", {"date": "2026-01-14", "start_time": "10:00"}, "past_date"),
    ("check_slot_availability", {"date": MONDAY, "start_time": "10:30"}, "no_such_slot"),
    ("check_slot_availability", {"date": MONDAY, "start_time": "ten"}, "invalid_start_time"),
    ("check_slot_availability", {"date": MONDAY}, "invalid_start_time"),
    ("book_spa_slot", {"date": MONDAY, "start_time": "10:00"}, "missing_customer_name"),
    ("book_spa_slot", {**booking_args(), "end_time": "11:00"}, "invalid_end_time"),
    ("book_spa_slot", {**booking_args(), "date": 20260202}, "invalid_date"),
    ("get_daily_availability", {}, "invalid_date"),
    ("cancel_booking", {}, "missing_reference"),
    ("cancel_booking", {"reference": "SPA-999999"}, "booking_not_found"),
    ("check_slot_availability", {"date": "9999-12-31", "start_time": "10:00"},
     "date_too_far"),
    ("book_spa_slot", {**booking_args(), "customer_name": 123}, "missing_customer_name"),
    ("book_spa_slot", {**booking_args(), "customer_name": "x" * 201}, "invalid_customer_name"),
    ("book_spa_slot", {**booking_args(), "start_time": ["10:00"]}, "invalid_start_time"),
    ("book_spa_slot", {**booking_args(), "date": None}, "invalid_date"),
    ("book_spa_slot", {**booking_args(), "end_time": 12}, "invalid_end_time"),
    ("cancel_booking", {"reference": {"a": 1}}, "missing_reference"),
    ("cancel_booking", {"reference": "x" * 5000}, "booking_not_found"),
    ("delete_everything", {}, "unknown_function"),
])
async def test_model_facing_refusals_are_200_answers(
        catalog: CatalogApi, name: str, arguments: dict[str, Any], error: str) -> None:
    await spa(catalog, uuid.uuid4(), NUMBER)
    response = await function(catalog, name, arguments, NUMBER)
    assert response.status_code == 200, response.text
    body = response.json()
    key = "available" if name == "check_slot_availability" else "success"
    assert body[key] is False and body["error"] == error, body
    assert isinstance(body["message"], str) and body["message"]
    assert await catalog.count("bookings") == 0


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b'{"arguments": {}}', b'{"function_name": "x", "extra": 1}',
    b'{"function_name": "x", "arguments": []}',
    b'{"function_name": "x", "context": {"customer_phone": "+39333"}}',
    b'{"function_name": "x", "context": {"to": "not a number"}}',
])
async def test_a_malformed_body_is_400_json(catalog: CatalogApi, body: bytes) -> None:
    await spa(catalog, uuid.uuid4(), NUMBER)
    response = await catalog.client.post("/api/function-handler", content=body,
                                         headers={**internal(catalog),
                                                  "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "Invalid parameters"


async def test_a_nul_character_is_4xx_never_5xx(catalog: CatalogApi) -> None:
    await spa(catalog, uuid.uuid4(), NUMBER)
    response = await function(catalog, "book_spa_slot",
                              booking_args(name="Mario\u0000Rossi"), NUMBER)
    assert 400 <= response.status_code < 500 or response.json()["success"] is False, (
        response.text)
    assert await catalog.count("bookings") == 0


async def test_the_function_handler_wants_the_internal_token(catalog: CatalogApi) -> None:
    await spa(catalog, uuid.uuid4(), NUMBER)
    body = {"function_name": "get_daily_availability", "arguments": {"date": MONDAY},
            "context": {"to": NUMBER}}
    for headers in ({}, {"Authorization": "Bearer nope"}, catalog.auth(uuid.uuid4())):
        response = await catalog.client.post("/api/function-handler", json=body,
                                             headers=headers)
        assert response.status_code == 401, response.text
    unknown = await function(catalog, "get_daily_availability", {"date": MONDAY},
                             "+4930999999")
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "Business with slots not found"}


async def test_the_owners_list_is_the_tenants_only(catalog: CatalogApi) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    a_client = await spa(catalog, a, NUMBER)
    b_client = await spa(catalog, b, "+390698765432")
    await function(catalog, "book_spa_slot", booking_args(name="A guest"), NUMBER)
    await function(catalog, "book_spa_slot", booking_args(name="B guest"), "+390698765432")
    a_rows = (await catalog.call("GET", f"/api/bookings/{MONDAY}", a)).json()
    assert [r["customer_name"] for r in a_rows] == ["A guest"]
    one = await catalog.call("GET", f"/api/bookings/{MONDAY}", a,
                             params={"business_id": a_client["id"]})
    assert [r["customer_name"] for r in one.json()] == ["A guest"]
    other = await catalog.call("GET", f"/api/bookings/{MONDAY}", a,
                               params={"business_id": b_client["id"]})
    assert other.json() == []
    b_ref = (await catalog.call("GET", f"/api/bookings/{MONDAY}", b)).json()[0]
    stolen = await catalog.call("POST", f"/api/bookings/{b_ref['booking_reference']}/cancel", a)
    assert stolen.status_code == 404
    assert (await catalog.call("GET", f"/api/bookings/{TUESDAY}", a)).json() == []


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), [
    ("GET", "/api/bookings/2026-13-01", {}, 400),
    ("GET", "/api/bookings/tomorrow", {}, 400),
    ("GET", f"/api/bookings/{MONDAY}", {"params": {"business_id": "nope"}}, 422),
    ("POST", "/api/bookings/SPA-000001/cancel", {}, 404),
    ("POST", "/api/bookings/" + "X" * 60 + "/cancel", {}, 400),
])
async def test_bad_owner_requests_are_4xx_json(
        catalog: CatalogApi, method: str, path: str, kwargs: dict[str, Any], status: int
        ) -> None:
    response = await catalog.call(method, path, uuid.uuid4(), **kwargs)
    assert response.status_code == status, response.text
    assert "error" in response.json()
    no_token = await catalog.client.request(method, path)
    assert no_token.status_code == 401


async def test_a_schedule_change_resizes_the_slots_already_booked_never_below_their_bookings(
    catalog: CatalogApi,
) -> None:
    tenant = uuid.uuid4()
    client = await spa(catalog, tenant, "+390612345699")
    for key in ("r1", "r2", "r3"):
        booked = await function(catalog, "book_spa_slot", booking_args(), "+390612345699",
                                key=key)
        assert booked.json()["success"] is True, booked.text

    async def spots(capacity: int) -> Any:
        schedule = {**SCHEDULE, "weekly": [{**slot, "capacity": capacity}
                                           if slot["start"] == "10:00" else slot
                                           for slot in SCHEDULE["weekly"]]}
        put = await catalog.call("PUT", f"/api/clients/{client['id']}/slots", tenant,
                                 json=schedule)
        assert put.status_code == 200, put.text
        check = await function(catalog, "check_slot_availability",
                               {"date": MONDAY, "start_time": "10:00"}, "+390612345699")
        return check.json()["available"], check.json()["spots_remaining"]

    # Down to 2 with 3 booked: the three keep their places, nobody gets a fourth.
    assert await spots(2) == (False, 0)
    refused = await function(catalog, "book_spa_slot", booking_args(), "+390612345699",
                             key="r4")
    assert refused.json()["success"] is False
    assert len((await catalog.call("GET", f"/api/bookings/{MONDAY}", tenant)).json()) == 3
    # Up to 5: two places more, on the slot that already had a row.
    assert await spots(5) == (True, 2)
