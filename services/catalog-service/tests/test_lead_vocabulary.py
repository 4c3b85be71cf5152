"""The words of lead files: header aliases in German and English, channels, DISG types,
statuses, languages, and the date forms people and Excel write."""

from __future__ import annotations

from datetime import date

import pytest
from catalog_service.domain.lead_rows import parse_date
from catalog_service.domain.lead_vocabulary import (
    CLOSED_STATUSES,
    FIELDS,
    channel_of,
    disg_of,
    field_of,
    header_aliases,
    language_of,
    status_of,
)

TODAY = date(2026, 1, 15)

HEADERS = {
    "name": ["Name", "Kontakt", "Kunde", "Ansprechpartner", "Full Name", "Contact", "NAME "],
    "first_name": ["Vorname", "First Name", "first_name"],
    "last_name": ["Nachname", "Last Name", "Surname"],
    "email": ["E-Mail", "Email", "Mail", "E-Mail-Adresse", "Email Address", "e-mail adresse"],
    "phone": ["Telefon", "Tel.", "Telefonnummer", "Handy", "Mobil", "Mobilnummer", "Phone",
              "Mobile", "Telephone"],
    "status": ["Status", " status "],
    "channel": ["Kanal", "Kontaktweg", "Channel", "Preferred Channel"],
    "notes": ["Notizen", "Notiz", "Bemerkung", "Bemerkungen", "Kommentar", "Notes", "Comment",
              "Comments"],
    "last_contact": ["Letzter Kontakt", "Zuletzt kontaktiert", "Last Contact", "last_contact",
                     "Last contacted"],
    "disg_type": ["DISG", "DISG-Typ", "DISG Typ", "DISC", "disg_type", "Persönlichkeitstyp",
                  "Persoenlichkeitstyp"],
    "language": ["Sprache", "Language"],
    "company": ["Firma", "Unternehmen", "Company", "Organisation"],
}


@pytest.mark.parametrize(("field", "header"),
                         [(f, h) for f, headers in HEADERS.items() for h in headers])
def test_headers_name_their_field(field: str, header: str) -> None:
    assert field_of(header) == field


def test_every_field_has_aliases_and_unknown_headers_none() -> None:
    assert set(HEADERS) == set(FIELDS)
    assert all(header_aliases(field) for field in FIELDS)
    assert field_of("Kundennummer") is None
    assert field_of("") is None


@pytest.mark.parametrize(("text", "channel"), [
    ("whatsapp", "WhatsApp"), ("WA", "WhatsApp"), ("email", "E-Mail"), ("E-Mail", "E-Mail"),
    ("mail", "E-Mail"), ("Phone", "Telefon"), ("telefon", "Telefon"), ("Anruf", "Telefon"),
    ("call", "Telefon"), ("SMS", "SMS"), ("LinkedIn", "LinkedIn"),
    ("  Brieftaube ", "Brieftaube"), ("x" * 50, "x" * 40),
])
def test_channels_are_canonical_or_kept(text: str, channel: str) -> None:
    assert channel_of(text) == channel


@pytest.mark.parametrize(("text", "disg"), [
    ("D", "D"), ("dominant", "D"), ("i", "I"), ("Initiativ", "I"), ("Typ I", "I"),
    ("stetig", "S"), ("S-Typ", "S"), ("gewissenhaft", "G"), ("G", "G"), ("C", "G"),
    ("type C", "G"), ("Gewissenhaftigkeit", "G"), ("rot", "D"),
    ("", None), ("unbekannt", None), ("Typ", None), ("DI", None),
])
def test_disg_types(text: str, disg: str | None) -> None:
    assert disg_of(text) == disg


def test_statuses_are_lowercase_labels() -> None:
    assert status_of("  In   Bearbeitung ") == "in bearbeitung"
    assert status_of("") is None and status_of("   ") is None
    assert status_of("x" * 50) == "x" * 40
    assert {"gewonnen", "verloren", "kein interesse", "won", "not interested"} <= CLOSED_STATUSES
    assert status_of("Kein Interesse") in CLOSED_STATUSES
    assert status_of("Neu") not in CLOSED_STATUSES


@pytest.mark.parametrize(("text", "code"), [
    ("de", "de"), ("Deutsch", "de"), ("German", "de"), ("DE-de", "de"), ("en_US", "en"),
    ("Englisch", "en"), ("it", "it"), ("Italienisch", "it"), ("Französisch", "fr"),
    ("", None), ("Klingonisch", None), ("xx-YY", None),
])
def test_languages(text: str, code: str | None) -> None:
    assert language_of(text) == code


@pytest.mark.parametrize(("text", "day"), [
    ("2024-11-20", date(2024, 11, 20)),
    ("20.11.2024", date(2024, 11, 20)),
    ("20.11.24", date(2024, 11, 20)),
    ("1.2.85", date(1985, 2, 1)),
    ("20/11/2024", date(2024, 11, 20)),
    ("2024-11-20 14:30", date(2024, 11, 20)),
    ("2024-11-20T14:30:00Z", date(2024, 11, 20)),
    ("20.11.2024 14:30", date(2024, 11, 20)),
    ("45616", date(2024, 11, 20)),
    ("45616,5", date(2024, 11, 20)),
    (" 2026-01-16 ", date(2026, 1, 16)),  # one day ahead: another time zone
    ("", None),
    ("  ", None),
])
def test_dates_people_and_excel_write(text: str, day: date | None) -> None:
    assert parse_date(text, today=TODAY) == day


@pytest.mark.parametrize(("text", "why"), [
    ("31.02.2024", "is not a date"),
    ("2024-13-01", "is not a date"),
    ("11/20/2024", "is not a date"),  # month first is not accepted
    ("2024", "is not a date"),  # a year, not an Excel serial
    ("gestern", "is not a date"),
    ("1899-12-31", "before 1900"),
    ("2026-01-17", "in the future"),
])
def test_other_dates_are_refused_naming_the_value(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why) as caught:
        parse_date(text, today=TODAY)
    assert repr(text) in str(caught.value)
