"""G5 under load: 100 concurrent book_spa_slot calls on a 14-place slot, each with its own
Idempotency-Key, and 30 redeliveries of 30 of those keys sent among them; then exactly
14 bookings exist, all distinct, the slot says 14 booked, and every redelivery answered
what its key's first call did. And a cancel frees one place exactly once."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

import pytest
from catalog_service.settings import CatalogSettings
from catalog_service.testing.api import CatalogApi
from catalog_service.testing.bookings import MONDAY, booking_args, function, spa
from ringbook_devtools.testing.infra import ServerSet
from ringbook_devtools.testing.plugin import settings_for

NUMBER = "+390612345678"


@pytest.fixture
def settings(infra: ServerSet, fresh_schema: str, tmp_path: Any) -> CatalogSettings:
    return settings_for(infra, CatalogSettings, service="catalog-service", schema=fresh_schema,
                        file_store_dir=tmp_path / "files", db_pool_max=10,
                        function_handler_rate_limit="", bookings_api_rate_limit="")


async def test_100_concurrent_bookings_and_30_redeliveries_take_exactly_14(
        catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    await spa(catalog, tenant, NUMBER)
    keys = [f"call-{i}" for i in range(100)]
    sends = [(k, False) for k in keys] + [(k, True) for k in keys[::3][:30]]
    assert sum(1 for _, repeat in sends if repeat) == 30

    async def send(key: str, repeat: bool) -> tuple[str, bool, dict[str, Any]]:
        response = await function(catalog, "book_spa_slot",
                                  booking_args(name=f"Guest {key}"), NUMBER, key=key)
        assert response.status_code == 200, response.text
        return key, repeat, response.json()

    answers = await asyncio.gather(*(send(k, r) for k, r in sends))
    by_key: dict[str, list[dict[str, Any]]] = {}
    for key, _, answer in answers:
        by_key.setdefault(key, []).append(answer)
    succeeded = {key: a[0]["reference"] for key, a in by_key.items() if a[0]["success"]}
    rows = await catalog.pool.fetch("select reference, status from bookings")
    booked = await catalog.pool.fetchval("select booked from slots where start_time = '10:00'")
    tally = Counter("booked" if a["success"] else a.get("error", "?") for _, _, a in answers)
    print(f"\nG5 tally: {len(answers)} calls -> {dict(tally)}; booking rows {len(rows)}, "
          f"distinct references {len({r['reference'] for r in rows})}, slots.booked {booked}")
    assert len(rows) == 14
    assert len({r["reference"] for r in rows}) == 14
    assert booked == 14
    assert sorted(succeeded.values()) == sorted(r["reference"] for r in rows)
    for key, repeats in by_key.items():
        # a key's answers agree: the same reference, or all not available
        assert len({(a["success"], a.get("reference")) for a in repeats}) == 1, (key, repeats)
    failures = [a for _, _, a in answers if not a["success"]]
    assert failures and all(a["error"] == "slot_full" for a in failures)
    # the nearest free slots of the day are offered instead
    assert failures[0]["alternatives"][0] == {"date": MONDAY, "start_time": "12:00",
                                              "end_time": "14:00", "spots_remaining": 14}
    assert await catalog.pool.fetchval(
        "select count(*) from events where type = 'booking_made'") == 14


async def test_two_concurrent_cancels_free_one_place(catalog: CatalogApi) -> None:
    tenant = uuid.uuid4()
    await spa(catalog, tenant, NUMBER)
    made = await function(catalog, "book_spa_slot", booking_args(), NUMBER, key="k1")
    reference = made.json()["reference"]
    await function(catalog, "book_spa_slot", booking_args(name="Anna"), NUMBER, key="k2")
    assert await catalog.pool.fetchval("select booked from slots") == 2
    by_owner = catalog.call("POST", f"/api/bookings/{reference}/cancel", tenant)
    by_caller = function(catalog, "cancel_booking", {"reference": reference}, NUMBER)
    owner, caller = await asyncio.gather(by_owner, by_caller)
    assert owner.status_code == 200 and caller.status_code == 200
    outcomes = sorted([owner.json()["success"], caller.json()["success"]])
    assert outcomes == [False, True], (owner.json(), caller.json())
    assert await catalog.pool.fetchval("select booked from slots") == 1
    again = await function(catalog, "cancel_booking", {"reference": reference}, NUMBER)
    assert again.json()["success"] is False and again.json()["error"] == "already_cancelled"
    assert await catalog.pool.fetchval("select booked from slots") == 1
    assert await catalog.event_types() == [
        "client_created", "slot_schedule_set", "booking_made", "booking_made",
        "booking_cancelled"]
