"""``POST /import/leads`` against real Postgres and NATS: real files' encodings, delimiters
and headers, the answer's counts checked against the file, re-imports, limits that store
nothing, and tenants kept apart. (The model's analysis: test_lead_analysis.py.)"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import orjson
import pytest
from catalog_service.settings import CatalogSettings
from catalog_service.testing.api import CatalogApi

TENANT = uuid.UUID("00000000-0000-0000-0000-0000000000a1")
OTHER = uuid.UUID("00000000-0000-0000-0000-0000000000b2")
HEADER = "Name;E-Mail;Telefon;Status;Kanal;Notizen;Letzter Kontakt"
# The clock (conftest) stands at 2026-01-15: 10.01.2026 is fresh, 2025-10-01 stale.
EXPORT_ROWS = [
    "Jürgen Weiß;juergen@example.de;0151 23456789;offen;WhatsApp;Wartet auf Angebot;10.01.2026",
    "Bäckerei Größe;info@baeckerei-groesse.de;030 1234567;offen;E-Mail;Alte Preise;2025-10-01",
    "Lea Kramer;lea@example.com;;;WhatsApp;Hat Demo gesehen;12.01.2026",
    "Max Müller;;+49 89 1234567;angebot;Telefon;;",
    "Erika Mustermann;erika@example.de;;gewonnen;E-Mail;Kunde seit 2020;01.02.2024",
    "Kaputt;keine-mail;;offen;;;",
    ";ohne@name.de;;offen;;;",
    ";;;;;;",
    "Jürgen Weiß;JUERGEN@example.de;;offen;WhatsApp;\"Angebot geschickt; wartet\";11.01.2026",
]


def german_export(rows: list[str], *, encoding: str = "cp1252", bom: bool = False,
                  delimiter: str = ";") -> bytes:
    text = "\r\n".join([HEADER, *rows]).replace(";", delimiter) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


async def post_import(catalog: CatalogApi, tenant: uuid.UUID, body: bytes,
                      content_type: str = "text/csv") -> httpx.Response:
    return await catalog.call("POST", "/import/leads", tenant, content=body,
                              headers={"Content-Type": content_type})


async def all_leads(catalog: CatalogApi, tenant: uuid.UUID, **params: Any) -> dict[str, Any]:
    response = await catalog.call("GET", "/api/leads", tenant,
                                  params={"limit": 200, "sort": "name", **params})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_german_excel_export_is_read_and_counted(catalog: CatalogApi) -> None:
    response = await post_import(catalog, TENANT, german_export(EXPORT_ROWS))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {"total_rows", "imported_count", "needs_action_count",
                           "without_last_contact_count", "errors"}
    # 8 rows with content (the blank one is no row); 2 broken; the last row is Jürgen
    # again (same e-mail in other case): 5 distinct leads.
    assert answer["total_rows"] == 8
    assert [(e["row"], e["field"]) for e in answer["errors"]] == [(7, "email"), (8, "name")]
    assert all(e["error"] for e in answer["errors"])
    assert answer["imported_count"] == 6
    # Bäckerei (stale), Lea (no status), Max (no last contact); Erika is won.
    assert answer["needs_action_count"] == 3
    assert answer["without_last_contact_count"] == 1
    page = await all_leads(catalog, TENANT)
    assert page["total"] == 5
    by_name = {lead["name"]: lead for lead in page["leads"]}
    assert set(by_name) == {"Jürgen Weiß", "Bäckerei Größe", "Lea Kramer", "Max Müller",
                            "Erika Mustermann"}
    juergen = by_name["Jürgen Weiß"]
    assert juergen["email"] == "juergen@example.de"
    assert juergen["phone"] == "+4915123456789"
    assert juergen["notes"] == "Angebot geschickt; wartet"  # the later row wins
    assert juergen["last_contact"] == "2026-01-11"
    assert juergen["channel"] == "WhatsApp"
    assert by_name["Max Müller"]["phone"] == "+49891234567"
    assert by_name["Lea Kramer"]["status"] is None
    assert {n for n, lead in by_name.items() if lead["needs_action"]} == {
        "Bäckerei Größe", "Lea Kramer", "Max Müller"}
    batch = {lead["import_batch_id"] for lead in page["leads"]}
    assert len(batch) == 1 and None not in batch
    types = await catalog.event_types()
    assert types.count("lead_created") == 5 and types.count("lead_import_completed") == 1


@pytest.mark.parametrize(("encoding", "bom", "delimiter"), [
    ("utf-8", True, ","), ("utf-8", False, "\t"), ("cp1252", False, ","),
])
async def test_encodings_and_delimiters_read_alike(catalog: CatalogApi, encoding: str,
                                                   bom: bool, delimiter: str) -> None:
    rows = ["Jürgen Weiß;juergen@example.de;0151 23456789;offen;WhatsApp;Grüße;10.01.2026",
            "Zoë Ærø;zoe@example.dk;;;E-Mail;;"]
    if delimiter == ",":
        rows = [r.replace(";", ",") for r in rows]
        body = ("\r\n".join([HEADER.replace(";", ","), *rows]) + "\r\n").encode(encoding)
        body = (b"\xef\xbb\xbf" if bom else b"") + body
    else:
        body = german_export(rows, encoding=encoding, bom=bom, delimiter=delimiter)
    response = await post_import(catalog, TENANT, body)
    assert response.status_code == 200, response.text
    assert response.json() == {"total_rows": 2, "imported_count": 2, "needs_action_count": 1,
                               "without_last_contact_count": 1, "errors": []}
    names = sorted(lead["name"] for lead in (await all_leads(catalog, TENANT))["leads"])
    assert names == ["Jürgen Weiß", "Zoë Ærø"]
    notes = {lead["name"]: lead["notes"] for lead in (await all_leads(catalog, TENANT))["leads"]}
    assert notes["Jürgen Weiß"] == "Grüße"


async def test_english_headers_iso_dates_and_both_json_forms(catalog: CatalogApi) -> None:
    csv = ("name,email,phone,status,channel,notes,last_contact\n"
           "Lea Kramer,lea@example.com,+49 151 1111111,offen,WhatsApp,Demo,2026-01-02\n")
    answer = await post_import(catalog, TENANT, orjson.dumps({"csv": csv}), "application/json")
    assert answer.status_code == 200, answer.text
    assert answer.json()["imported_count"] == 1
    seed_shaped = [{"name": "Tom Becker", "email": "tom@example.com", "status": "offen",
                    "channel": "E-Mail", "disg_type": "D",
                    "extra": {"last_contact": "20.11.2025"}},
                   {"name": "Ohne Kontakt"}, "not an object"]
    answer = await post_import(catalog, TENANT, orjson.dumps(seed_shaped), "application/json")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["total_rows"], body["imported_count"]) == (3, 1)
    assert [e["row"] for e in body["errors"]] == [2, 3]
    tom = next(lead for lead in (await all_leads(catalog, TENANT))["leads"]
               if lead["name"] == "Tom Becker")
    assert (tom["last_contact"], tom["disg_type"], tom["needs_action"]) == (
        "2025-11-20", "D", True)


async def test_a_re_import_updates_the_lead_and_an_unchanged_one_writes_nothing(
        catalog: CatalogApi) -> None:
    first = german_export(EXPORT_ROWS[:2])
    assert (await post_import(catalog, TENANT, first)).status_code == 200
    before = await catalog.event_types()
    again = await post_import(catalog, TENANT, first)
    assert again.json()["imported_count"] == 2
    assert [t for t in await catalog.event_types() if t != "lead_import_completed"] == [
        t for t in before if t != "lead_import_completed"]
    changed = german_export(["Jürgen Weiß;;0151 23456789;angebot;;Angebot angenommen?;14.01.2026"])
    answer = (await post_import(catalog, TENANT, changed)).json()
    assert (answer["imported_count"], answer["needs_action_count"]) == (1, 0)
    page = await all_leads(catalog, TENANT)
    assert page["total"] == 2
    juergen = next(lead for lead in page["leads"] if lead["name"] == "Jürgen Weiß")
    # Matched by phone; the empty e-mail and channel cells keep what the lead held.
    assert (juergen["email"], juergen["channel"], juergen["status"]) == (
        "juergen@example.de", "WhatsApp", "angebot")
    assert (await catalog.event_types()).count("lead_updated") == 1


async def test_a_row_whose_email_and_phone_are_two_leads_is_refused(catalog: CatalogApi
                                                                    ) -> None:
    await post_import(catalog, TENANT, german_export(EXPORT_ROWS[:2]))
    mixed = german_export(["Jürgen Weiß;juergen@example.de;030 1234567;offen;;;10.01.2026"])
    answer = (await post_import(catalog, TENANT, mixed)).json()
    assert answer["imported_count"] == 0
    assert [e["row"] for e in answer["errors"]] == [2]
    assert "another lead" in answer["errors"][0]["error"]


async def test_tenants_do_not_share_leads(catalog: CatalogApi) -> None:
    await post_import(catalog, TENANT, german_export(EXPORT_ROWS[:2]))
    other = await post_import(catalog, OTHER, german_export(EXPORT_ROWS[:1]))
    assert other.json()["imported_count"] == 1
    assert (await all_leads(catalog, OTHER))["total"] == 1
    assert (await all_leads(catalog, TENANT))["total"] == 2
    theirs = (await all_leads(catalog, TENANT))["leads"][0]["id"]
    for method, extra in (("GET", {}), ("PATCH", {"json": {"notes": "x"}}), ("DELETE", {})):
        response = await catalog.call(method, f"/api/leads/{theirs}", OTHER, **extra)
        assert response.status_code == 404, (method, response.text)
    assert (await all_leads(catalog, TENANT))["total"] == 2


async def test_concurrent_imports_of_one_person_make_one_lead(catalog: CatalogApi) -> None:
    body = german_export(EXPORT_ROWS[:3])
    answers = await asyncio.gather(*(post_import(catalog, TENANT, body) for _ in range(6)))
    assert [a.status_code for a in answers] == [200] * 6
    assert (await all_leads(catalog, TENANT))["total"] == 3
    assert (await catalog.event_types()).count("lead_created") == 3


@pytest.mark.parametrize(("body", "content_type", "status"), [
    (b"\x00\x01\x02binary", "text/csv", 422),
    (b"Firma;Ort\nACME;Berlin\n", "text/csv", 422),
    (b"   ", "text/csv", 422),
    (b'{"csv": 3}', "application/json", 422),
    (b'{"rows": []}', "application/json", 422),
    (b"--x\r\nContent-Disposition: form-data\r\n\r\nName\r\n--x--",
     "multipart/form-data; boundary=x", 415),
], ids=["binary", "no-name-column", "empty", "csv-not-text", "unknown-object", "multipart"])
async def test_what_is_no_import_is_refused_and_stores_nothing(
        catalog: CatalogApi, body: bytes, content_type: str, status: int) -> None:
    before = await catalog.stored()
    response = await post_import(catalog, TENANT, body, content_type)
    assert response.status_code == status, response.text
    assert response.json()["error"]
    assert await catalog.stored() == before


@pytest.fixture
def settings(settings: CatalogSettings) -> CatalogSettings:
    return settings.model_copy(update={"lead_import_max_bytes": 4096,
                                       "lead_import_max_rows": 20})


async def test_the_size_and_row_limits_answer_413_and_422_and_store_nothing(
        catalog: CatalogApi) -> None:
    before = await catalog.stored()
    row = "Lea Kramer;lea{}@example.com;;offen;;;10.01.2026"
    too_many = german_export([row.format(i) for i in range(21)])
    assert len(too_many) < 4096
    response = await post_import(catalog, TENANT, too_many)
    assert response.status_code == 422 and "20" in response.text, response.text
    too_big = german_export([row.format(i) + ";" + "x" * 300 for i in range(20)])
    response = await post_import(catalog, TENANT, too_big)
    assert response.status_code == 413, response.text
    assert await catalog.stored() == before
    assert (await post_import(catalog, TENANT, german_export(
        [row.format(i) for i in range(20)]))).json()["imported_count"] == 20


async def test_a_phone_cell_that_is_no_number_is_a_row_error_not_an_index_overflow(
        catalog: CatalogApi) -> None:
    # 1,000 three-byte characters that do not compress: over the 2,704 bytes a btree
    # index row may hold (the phone is indexed), which Postgres would answer with an error.
    noise = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(1000))
    rows = ["Lea Kramer;;" + noise + ";offen;;;", "Tom Becker;;0151 23456789;;;;"]
    answer = await post_import(catalog, TENANT, german_export(rows, encoding="utf-8"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "phone")]
    assert body["imported_count"] == 1
