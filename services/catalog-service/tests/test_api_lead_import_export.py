"""A 5,000-row German Excel export (cp1252, ';', umlauts, blank and broken rows,
repeated people spelled differently) through ``POST /import/leads``: every figure of the
answer equals what the file's generator knows it holds, and the leads are all there."""

from __future__ import annotations

import uuid

from catalog_service.testing.api import CatalogApi
from catalog_service.testing.lead_files import german_excel_export

TENANT = uuid.UUID("00000000-0000-0000-0000-0000000000a1")


async def test_a_5000_row_export_is_counted_exactly(catalog: CatalogApi) -> None:
    body, expected = german_excel_export(5000, seed=3)
    assert body.decode("cp1252").count("ü") > 100  # umlauts, and not UTF-8
    response = await catalog.call("POST", "/import/leads", TENANT, content=body,
                                  headers={"Content-Type": "text/csv"})
    assert response.status_code == 200, response.text[:2000]
    answer = response.json()
    assert answer["total_rows"] == expected.total_rows == 5000
    assert sorted({e["row"] for e in answer["errors"]}) == list(expected.error_rows)
    assert answer["imported_count"] == expected.leads
    assert answer["needs_action_count"] == expected.needs_action
    assert answer["without_last_contact_count"] == expected.leads_without_last_contact
    page = await catalog.call("GET", "/api/leads", TENANT, params={"limit": 1})
    assert page.json()["total"] == expected.distinct_keys
    events = await catalog.event_types()
    assert events.count("lead_created") == expected.distinct_keys
    assert await catalog.count("lead_analysis_jobs") == expected.distinct_keys
    again = await catalog.call("POST", "/import/leads", TENANT, content=body,
                               headers={"Content-Type": "text/csv"})
    assert again.json() == answer  # the same file again: the same answer, nothing new
    assert (await catalog.event_types()).count("lead_updated") == 0
