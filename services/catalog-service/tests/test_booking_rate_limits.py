"""FUNCTION_HANDLER_RATE_LIMIT per business number, BOOKINGS_API_RATE_LIMIT per tenant:
over them, 429 with Retry-After and the platform's JSON error."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from catalog_service.settings import CatalogSettings
from catalog_service.testing.api import CatalogApi
from catalog_service.testing.bookings import MONDAY, function, spa
from pydantic import ValidationError
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.plugin import settings_for


@pytest.fixture
def settings(infra: ServerSet, fresh_schema: str, tmp_path: Any) -> CatalogSettings:
    return settings_for(infra, CatalogSettings, service="catalog-service", schema=fresh_schema,
                        file_store_dir=tmp_path / "files", function_handler_rate_limit="3/minute",
                        bookings_api_rate_limit="2/minute")


async def test_the_function_handler_is_limited_per_business_number(catalog: CatalogApi) -> None:
    await spa(catalog, uuid.uuid4(), "+390612345678")
    await spa(catalog, uuid.uuid4(), "+390698765432")
    args = {"date": MONDAY}
    for _ in range(3):
        ok = await function(catalog, "get_daily_availability", args, "+390612345678")
        assert ok.status_code == 200
    over = await function(catalog, "get_daily_availability", args, "+39 06 1234 5678")
    assert over.status_code == 429, over.text
    assert int(over.headers["Retry-After"]) >= 1
    assert over.json()["error"] == "Too many requests"
    assert over.json()["details"]["limit"] == "3/minute"
    other = await function(catalog, "get_daily_availability", args, "+390698765432")
    assert other.status_code == 200


async def test_the_bookings_api_is_limited_per_tenant(catalog: CatalogApi) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    for _ in range(2):
        assert (await catalog.call("GET", f"/api/bookings/{MONDAY}", a)).status_code == 200
    over = await catalog.call("GET", f"/api/bookings/{MONDAY}", a)
    assert over.status_code == 429 and "Retry-After" in over.headers
    assert over.json()["details"]["scope"] == "bookings_api"
    cancel = await catalog.call("POST", "/api/bookings/SPA-000001/cancel", a)
    assert cancel.status_code == 429
    assert (await catalog.call("GET", f"/api/bookings/{MONDAY}", b)).status_code == 200


def test_a_malformed_limit_fails_at_start_up() -> None:
    with pytest.raises(ValidationError, match="function_handler_rate_limit"):
        CatalogSettings(function_handler_rate_limit="lots")
    assert CatalogSettings().function_handler_rate_limit == "30/minute"
    assert CatalogSettings().bookings_api_rate_limit == "20/minute"
