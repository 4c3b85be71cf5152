"""Rows of lead files -> leads or row errors: header aliases, e-mails, phones, dates, DISG
types, broken rows, and the JSON array form. Every file comes from the builders of
``catalog_service.testing.lead_files`` and every count is checked against them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from catalog_service.domain.lead_files import UnreadableFile, decode, read_table
from catalog_service.domain.lead_rows import (
    MAX_CELL,
    MAX_NOTES,
    ParsedRows,
    rows_from_objects,
    rows_from_table,
)
from catalog_service.testing.lead_files import (
    LeadRowSpec,
    excel_export,
    expected_rows,
    german_excel_export,
    lead_objects,
)
from hypothesis import given, settings
from hypothesis import strategies as st

TODAY = date(2026, 1, 15)
MUELLER = LeadRowSpec(
    name="Müller", email="Max.Mueller@Example.DE", phone="030 5550100", status="Neu ",
    channel="whatsapp", notes="Rückruf;\nbitte nachmittags", last_contact="20.11.2024",
    disg_type="Typ I", language="Deutsch", company="Bäckerei Größe",
)
WEISS = LeadRowSpec(name="Jürgen Weiß", phone="+49 151 23456789", last_contact="45616")


def parsed(raw: bytes) -> ParsedRows:
    return rows_from_table(read_table(decode(raw)), region="DE", today=TODAY)


def test_a_german_export_reads_into_leads() -> None:
    result = parsed(excel_export([MUELLER, WEISS]))
    assert result.total_rows == 2
    assert result.errors == ()
    (row_1, mueller), (row_2, weiss) = result.leads
    assert (row_1, row_2) == (2, 4)  # Müller's notes take two lines
    assert mueller.name == "Müller"
    assert mueller.email == "max.mueller@example.de"
    assert mueller.phone == "+49305550100"
    assert (mueller.status, mueller.channel, mueller.disg_type) == ("neu", "WhatsApp", "I")
    assert mueller.notes == "Rückruf;\nbitte nachmittags"
    assert mueller.last_contact == date(2024, 11, 20)
    assert mueller.language == "de"
    assert mueller.extra == {"company": "Bäckerei Größe"}
    assert mueller.key == ("max.mueller@example.de", "+49305550100")
    assert weiss.last_contact == date(2024, 11, 20)  # the Excel serial 45616
    assert weiss.key == (None, "+4915123456789")
    assert (weiss.status, weiss.channel, weiss.notes, weiss.disg_type) == (None,) * 4


def test_english_headers_tabs_and_a_bom_read_alike() -> None:
    raw = excel_export([MUELLER, WEISS], encoding="utf-8", bom=True, delimiter="\t",
                       header_language="en")
    german = parsed(excel_export([MUELLER, WEISS]))
    assert parsed(raw) == german


def test_broken_rows_become_errors_naming_row_and_value() -> None:
    rows = [
        MUELLER,                                                    # 2-3
        replace(WEISS, surplus=("zu", "viel")),                     # 4: too many cells
        LeadRowSpec(),                                              # 5: blank, dropped
        replace(WEISS, email="max@@example"),                       # 6: bad e-mail
        replace(WEISS, last_contact="31.02.2024"),                  # 7: no such day
        replace(WEISS, name=""),                                    # 8: no name
        LeadRowSpec(name="Anna", notes="kein Kontakt"),             # 9: neither e-mail nor phone
        LeadRowSpec(name="Lena", email="lena@example.de"),          # 10
    ]
    assert expected_rows(rows) == [2, 4, None, 6, 7, 8, 9, 10]
    result = parsed(excel_export(rows))
    assert result.total_rows == 7
    assert [row for row, _ in result.leads] == [2, 10]
    assert result.error_rows == (4, 6, 7, 8, 9)
    by_row = {error.row: error for error in result.errors}
    assert len(result.errors) == 5
    assert by_row[4].field is None and "12 cells" in by_row[4].error
    assert "10 columns" in by_row[4].error
    assert by_row[6].field == "email" and "'max@@example'" in by_row[6].error
    assert by_row[7].field == "last_contact" and "'31.02.2024'" in by_row[7].error
    assert "DD.MM.YYYY" in by_row[7].error
    assert by_row[8].field == "name"
    assert by_row[9].field is None
    assert by_row[9].error == "a lead needs an e-mail or a phone number"


def test_a_row_with_several_bad_fields_names_each() -> None:
    row = LeadRowSpec(email="kaputt", last_contact="gestern")
    result = parsed(excel_export([row]))
    assert result.leads == ()
    assert sorted(str(e.field) for e in result.errors) == ["email", "last_contact", "name"]
    assert result.error_rows == (2,)


def test_a_short_row_has_its_missing_cells_empty() -> None:
    table = read_table("Name;E-Mail;Telefon;Notizen\nMüller;m@example.de\n")
    result = rows_from_table(table, region="DE", today=TODAY)
    (row, lead), = result.leads
    assert (row, lead.name, lead.email, lead.phone, lead.notes) == (2, "Müller", "m@example.de",
                                                                    None, None)


def test_first_and_last_name_columns_make_the_name() -> None:
    table = read_table("Vorname;Nachname;Mail;Kundennummer\nJürgen;Weiß;jw@example.de;K-17\n"
                       ";Krüger;k@example.de;\n")
    result = rows_from_table(table, region="DE", today=TODAY)
    assert [lead.name for _, lead in result.leads] == ["Jürgen Weiß", "Krüger"]
    assert result.leads[0][1].extra == {"Kundennummer": "K-17"}
    assert result.leads[1][1].extra == {}


def test_a_file_without_a_name_column_is_unreadable_and_says_what_it_found() -> None:
    table = read_table("E-Mail;Telefon\nm@example.de;030 5550100\n")
    with pytest.raises(UnreadableFile) as caught:
        rows_from_table(table, region="DE", today=TODAY)
    message = str(caught.value)
    assert "'E-Mail', 'Telefon'" in message
    assert "'ansprechpartner'" in message and "'vorname'" in message


def test_a_phone_that_does_not_parse_is_kept_as_written() -> None:
    result = parsed(excel_export([replace(WEISS, phone="  0800  SCHMIDT ")]))
    assert [lead.phone for _, lead in result.leads] == ["0800 SCHMIDT"]


def test_cells_over_the_limits_are_errors() -> None:
    rows = [
        replace(WEISS, notes="x" * MAX_NOTES),
        replace(WEISS, notes="x" * (MAX_NOTES + 1)),
        replace(WEISS, company="y" * (MAX_CELL + 1)),
    ]
    result = parsed(excel_export(rows))
    assert [row for row, _ in result.leads] == [2]
    assert [(e.row, e.field) for e in result.errors] == [(3, "notes"), (4, "company")]
    assert str(MAX_NOTES + 1) in result.errors[0].error
    assert "'Firma'" in result.errors[1].error


def test_json_objects_in_seed_003s_shape_read_like_the_file() -> None:
    result = rows_from_objects(lead_objects([MUELLER, WEISS]), region="DE", today=TODAY)
    from_file = parsed(excel_export([MUELLER, WEISS]))
    assert [lead for _, lead in result.leads] == [lead for _, lead in from_file.leads]
    assert [row for row, _ in result.leads] == [1, 2]
    assert result.total_rows == 2


def test_json_items_that_are_not_leads_are_row_errors() -> None:
    items: list[object] = [
        "Müller",
        {"name": "Weiß", "telefon": 305550100, "Kunde seit": 2019.0, "Umsatz": 12.5},
        {"name": "Krüger", "email": ["k@example.de"]},
        {"name": "Anna", "email": "a@example.de", "status": True},
        {"Vorname": "Lena", "E-Mail": "l@example.de", "extra": {"Letzter Kontakt": "2024-11-20"}},
        {"name": "Max", "phone": float("nan")},
    ]
    result = rows_from_objects(items, region="DE", today=TODAY)
    assert result.total_rows == 6
    assert [row for row, _ in result.leads] == [2, 5]
    assert [(e.row, e.field) for e in result.errors] == [(1, None), (3, "email"), (4, "status"),
                                                         (6, "phone")]
    assert "item 1 is a str" in result.errors[0].error
    assert "a list" in result.errors[1].error
    weiss, lena = (lead for _, lead in result.leads)
    assert weiss.phone == "+49305550100"  # a number without '+' is national
    assert weiss.extra == {"Kunde seit": "2019", "Umsatz": "12.5"}
    assert lena.last_contact == date(2024, 11, 20)


def test_german_excel_export_is_read_as_its_generator_says() -> None:
    raw, expected = german_excel_export(600, seed=7, today=TODAY)
    assert raw == german_excel_export(600, seed=7, today=TODAY)[0]  # deterministic
    result = parsed(raw)
    assert expected.total_rows == result.total_rows == 600
    assert expected.error_rows and expected.duplicate_rows
    assert result.error_rows == expected.error_rows
    assert len(result.leads) == expected.leads == 600 - len(expected.error_rows)
    assert len({lead.key for _, lead in result.leads}) == expected.distinct_keys
    leads = [lead for _, lead in result.leads]
    # Merging by e-mail first or by phone first gives the same persons.
    assert len({lead.email or lead.phone for lead in leads}) == expected.distinct_keys
    assert len({lead.phone or lead.email for lead in leads}) == expected.distinct_keys
    assert sum(1 for lead in leads if lead.status is None) == expected.without_status
    assert sum(1 for lead in leads if lead.last_contact is None) == expected.without_last_contact
    assert sum(1 for lead in leads
               if lead.last_contact and (TODAY - lead.last_contact).days > 100) == expected.stale
    assert all(lead.phone is None or lead.phone.startswith("+49") for lead in leads)


_NAMES = st.sampled_from(["Müller", "Jürgen Weiß", "Käthe Größe", "Anna", "Renée Köhler"])
_STATUSES = st.sampled_from(["", "Neu", "In Bearbeitung", "Gewonnen", "Kein Interesse"])
_DATES = st.dates(min_value=date(1990, 1, 1), max_value=TODAY)
_FORMS = st.sampled_from(["%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y %H:%M", "serial"])


@st.composite
def valid_rows(draw: st.DrawFn) -> tuple[LeadRowSpec, date]:
    day, form = draw(_DATES), draw(_FORMS)
    written = str((day - date(1899, 12, 30)).days) if form == "serial" else day.strftime(form)
    number = draw(st.integers(min_value=2_000_000, max_value=9_999_999))
    spec = LeadRowSpec(
        name=draw(_NAMES), email=f"Kunde.{number}@Beispiel.DE", phone=f"030 {number}",
        status=draw(_STATUSES), channel=draw(st.sampled_from(["", "E-Mail", "sms", "Anruf"])),
        notes=draw(st.sampled_from(["", "Grüße;\nbis bald", 'sagt "später"'])),
        last_contact=written,
    )
    return spec, day


@given(st.lists(valid_rows(), max_size=5), st.sampled_from(["cp1252", "utf-8"]))
@settings(max_examples=100, deadline=None)
def test_any_valid_row_the_builder_writes_reads_back_equal(
    rows: list[tuple[LeadRowSpec, date]], encoding: str
) -> None:
    specs = [spec for spec, _ in rows]
    result = parsed(excel_export(specs, encoding=encoding))
    assert result.errors == ()
    assert [row for row, _ in result.leads] == expected_rows(specs)
    channels = {"": None, "E-Mail": "E-Mail", "sms": "SMS", "Anruf": "Telefon"}
    for (_, lead), (spec, day) in zip(result.leads, rows, strict=True):
        assert lead.name == spec.name
        assert lead.email == spec.email.lower()
        assert lead.phone == "+4930" + spec.phone.removeprefix("030 ")
        assert lead.status == (spec.status.lower() or None)
        assert lead.channel == channels[spec.channel]
        assert lead.notes == (spec.notes or None)
        assert lead.last_contact == day


@given(st.text(max_size=400))
@settings(max_examples=300, deadline=None)
def test_any_text_is_rows_or_unreadable_never_another_exception(text: str) -> None:
    try:
        result = rows_from_table(read_table(text), region="DE", today=TODAY)
    except UnreadableFile as exc:
        assert str(exc)
    else:
        assert result.total_rows == len(result.leads) + len(result.error_rows)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=4),
    max_leaves=12,
)
_KEYS = st.sampled_from(["name", "Name", "email", "E-Mail", "phone", "Telefon", "extra",
                         "last_contact", "status", "Kanal", "DISG", "Firma", "sonstiges"])


@given(st.lists(_JSON | st.dictionaries(_KEYS, _JSON, max_size=6), max_size=5))
@settings(max_examples=300, deadline=None)
def test_any_json_items_are_leads_or_row_errors(items: list[object]) -> None:
    result = rows_from_objects(items, region="DE", today=TODAY)
    assert result.total_rows == len(items) == len(result.leads) + len(result.error_rows)
    assert all(1 <= error.row <= len(items) for error in result.errors)


def test_a_huge_json_number_is_a_row_error() -> None:
    result = rows_from_objects([{"name": "Max", "phone": 10**5000}], region="DE", today=TODAY)
    assert [(e.row, e.field) for e in result.errors] == [(1, "phone")]
