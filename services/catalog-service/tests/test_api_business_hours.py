"""Business hours through the API (``/api/business-hours/{number}`` and a number's own
``/api/phone-numbers/{id}/business-hours``): event-sourced, validated by the very parser
call-orchestrator obeys."""

from __future__ import annotations

import uuid

import pytest
from catalog_service.testing.api import CatalogApi
from ringbook.contracts.catalog import business_hours_id

NUMBER = "+4930123456"
URL = f"/api/business-hours/{NUMBER}"


async def test_set_get_replace_and_clear(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    put = await catalog.call("PUT", URL, tenant, json={"weekly_hours": "Mon-Fri 08:00-18:00",
                                                       "timezone": "Europe/Berlin"})
    assert put.status_code == 200, put.text
    data = put.json()["data"]
    assert (data["number"], data["weekly_hours"], data["timezone"]) == (
        NUMBER, "mon-fri 08:00-18:00", "Europe/Berlin")
    assert (await catalog.call("GET", URL, tenant)).json() == {"success": True, "data": data}
    # Any spelling of the number names the same hours (the "+" URL-encoded).
    spelled = await catalog.call("GET", "/api/business-hours/%2B49%2030%20123456", tenant)
    assert spelled.json()["data"]["number"] == NUMBER
    replaced = await catalog.call("PUT", URL, tenant, json={"weekly_hours": "always"})
    assert replaced.json()["data"]["timezone"] is None
    cleared = await catalog.call("DELETE", URL, tenant)
    assert cleared.json() == {"success": True, "data": {"number": NUMBER, "cleared": True}}
    missing = await catalog.call("GET", URL, tenant)
    assert missing.status_code == 404
    assert missing.json() == {"success": False, "error": "Business hours not found"}
    assert (await catalog.call("DELETE", URL, tenant)).status_code == 404
    aggregate = business_hours_id(tenant, NUMBER)
    assert await catalog.event_types(aggregate) == [
        "business_hours_set", "business_hours_set", "business_hours_cleared"]


async def test_each_tenant_has_its_own_hours_for_a_number(catalog: CatalogApi) -> None:
    one, two = uuid.uuid4(), uuid.uuid4()
    await catalog.call("PUT", URL, one, json={"weekly_hours": "mon-fri 08:00-12:00"})
    await catalog.call("PUT", URL, two, json={"weekly_hours": "sat 10:00-14:00"})
    assert (await catalog.call("GET", URL, one)).json()["data"]["weekly_hours"] == \
        "mon-fri 08:00-12:00"
    assert (await catalog.call("GET", URL, two)).json()["data"]["weekly_hours"] == \
        "sat 10:00-14:00"
    assert (await catalog.call("GET", URL, uuid.uuid4())).status_code == 404


@pytest.mark.parametrize(("number", "body", "field"), [
    ("030123456", {"weekly_hours": "always"}, "path.number"),
    ("+999123", {"weekly_hours": "always"}, "path.number"),
    (NUMBER, {"weekly_hours": "whenever"}, "weekly_hours"),
    (NUMBER, {"weekly_hours": "mon 25:00-26:00"}, "weekly_hours"),
    (NUMBER, {"weekly_hours": "   "}, "weekly_hours"),
    (NUMBER, {"weekly_hours": "x" * 501}, "weekly_hours"),
    (NUMBER, {"weekly_hours": "always", "timezone": "Mars/Olympus"}, "timezone"),
    (NUMBER, {"weekly_hours": "always", "timezone": "CEST"}, "timezone"),
    (NUMBER, {}, "weekly_hours"),
    (NUMBER, {"weekly_hours": "always", "tenant_id": str(uuid.uuid4())}, "tenant_id"),
])
async def test_bad_hours_are_422_and_store_nothing(
        catalog: CatalogApi, number: str, body: dict[str, object], field: str) -> None:
    response = await catalog.call("PUT", f"/api/business-hours/{number}", uuid.uuid4(),
                                  json=body)
    assert response.status_code == 422, response.text
    assert response.json()["success"] is False
    assert response.json()["details"][0]["field"] == field
    assert await catalog.count("events") == 0 and await catalog.count("business_hours") == 0


async def test_a_numbers_own_hours(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    number = await catalog.created("/api/phone-numbers/", tenant, {"phone_number": NUMBER})
    url = f"/api/phone-numbers/{number['id']}/business-hours"
    assert (await catalog.call("GET", url, tenant)).status_code == 404
    put = await catalog.call("PUT", url, tenant, json={"weekly_hours": "mon-sat 09:00-13:00"})
    assert put.status_code == 200, put.text
    assert put.json()["data"]["number"] == NUMBER
    same = (await catalog.call("GET", URL, tenant)).json()["data"]
    assert same == put.json()["data"]  # the same aggregate as /api/business-hours/{number}
    for method in ("GET", "PUT", "DELETE"):
        other = await catalog.call(method, url, uuid.uuid4(),
                                   json={"weekly_hours": "always"} if method == "PUT" else None)
        assert other.status_code == 404, method
    assert (await catalog.call("DELETE", url, tenant)).json()["data"]["cleared"] is True
    assert await catalog.event_types(business_hours_id(tenant, NUMBER)) == [
        "business_hours_set", "business_hours_cleared"]
