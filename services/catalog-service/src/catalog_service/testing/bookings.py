"""Helpers of the booking tests: a business with slots, and function calls."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from catalog_service.testing.api import CatalogApi

MONDAY = "2026-02-02"  # the fake clock is 2026-01-15
TUESDAY = "2026-02-03"
SCHEDULE: dict[str, Any] = {
    "timezone": "Europe/Rome",
    "reference_prefix": "SPA",
    "weekly": [
        {"weekday": "monday", "start": "10:00", "end": "12:00", "capacity": 14},
        {"weekday": 0, "start": "12:00", "end": "14:00", "capacity": 14},
        {"weekday": 0, "start": "14:00", "end": "16:00", "capacity": 2},
        {"weekday": "tuesday", "start": "10:00", "end": "12:00", "capacity": 14},
    ],
    "exceptions": [{"date": "2026-12-24", "closed": True}],
}


async def spa(catalog: CatalogApi, tenant: uuid.UUID, number: str,
              schedule: dict[str, Any] | None = None) -> dict[str, Any]:
    """A client at ``number`` with the schedule; the client's body."""
    client = (await catalog.call("POST", "/api/clients", tenant, json={
        "name": "Santa Caterina Beauty Farm", "phone_number": number}))
    assert client.status_code == 201, client.text
    body: dict[str, Any] = client.json()["client"]
    put = await catalog.call("PUT", f"/api/clients/{body['id']}/slots", tenant,
                             json=schedule or SCHEDULE)
    assert put.status_code == 200, put.text
    return body


def internal(catalog: CatalogApi) -> dict[str, str]:
    token = catalog.runtime.settings.internal_token.get_secret_value()
    return {"Authorization": f"Bearer {token}"}


async def function(catalog: CatalogApi, name: str, arguments: dict[str, Any], to: str, *,
                   key: str | None = None, context: dict[str, Any] | None = None
                   ) -> httpx.Response:
    headers = internal(catalog)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await catalog.client.post("/api/function-handler", headers=headers, json={
        "function_name": name, "arguments": arguments,
        "context": {"to": to, "customer_phone": "+393331234567", **(context or {})}})


def booking_args(start: str = "10:00", name: str = "Mario Rossi", day: str = MONDAY
                 ) -> dict[str, Any]:
    return {"customer_name": name, "customer_phone": "", "date": day, "start_time": start}
