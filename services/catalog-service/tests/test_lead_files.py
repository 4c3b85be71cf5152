"""Lead files from bytes to a table: the encodings German Excel writes, its delimiters and
``sep=`` line, blank rows and quoted line breaks, with row numbers as Excel shows them.
Every file is built by ``catalog_service.testing.lead_files``; every count is checked
against what the builder wrote."""

from __future__ import annotations

import codecs

import pytest
from catalog_service.domain.lead_files import UnreadableFile, decode, read_table, sniff_delimiter
from catalog_service.testing.lead_files import (
    LeadRowSpec,
    excel_export,
    expected_rows,
    export_text,
    header_row,
)
from hypothesis import given, settings
from hypothesis import strategies as st

UMLAUT_ROWS = [
    LeadRowSpec(name="Müller", email="mueller@example.de", company="Bäckerei Größe"),
    LeadRowSpec(name="Jürgen Weiß", phone="0151 23456789", notes="Grüße aus Köln, 5 €"),
]


def table_of(raw: bytes) -> list[tuple[int, list[str]]]:
    return [(number, list(cells)) for number, cells in read_table(decode(raw)).rows]


def test_a_cp1252_export_with_umlauts_reads_as_written() -> None:
    raw = excel_export(UMLAUT_ROWS, encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the file really is cp1252, not UTF-8 by accident
    table = read_table(decode(raw))
    assert table.delimiter == ";"
    assert table.header == tuple(header_row("de"))
    assert table.rows == ((2, tuple(UMLAUT_ROWS[0].cells())), (3, tuple(UMLAUT_ROWS[1].cells())))


def test_a_utf8_bom_is_stripped() -> None:
    raw = excel_export(UMLAUT_ROWS, encoding="utf-8", bom=True)
    text = decode(raw)
    assert text.startswith("Name;E-Mail;")
    assert read_table(text).rows[1][1][0] == "Jürgen Weiß"


def test_excels_unicode_text_export_utf16_with_tabs_reads() -> None:
    text = export_text(UMLAUT_ROWS, delimiter="\t")
    table = read_table(decode(text.encode("utf-16")))
    assert table.delimiter == "\t"
    assert [cells[0] for _, cells in table.rows] == ["Müller", "Jürgen Weiß"]


def test_a_cyrillic_cp1251_file_is_not_read_as_cp1252() -> None:
    text = "Name;E-Mail\r\nПривет, как дела? Иванов Сергей;ivan@example.ru\r\n"  # noqa: RUF001
    raw = text.encode("cp1251")
    assert "Иванов Сергей" in decode(raw)


@pytest.mark.parametrize("raw", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"Name;E-Mail\n\x00\x01;x"])
def test_binary_bytes_are_unreadable(raw: bytes) -> None:
    with pytest.raises(UnreadableFile, match="binary"):
        decode(raw)


def test_line_breaks_are_normalised() -> None:
    assert decode(b"Name\r\nA\rB\nC\r\n") == "Name\nA\nB\nC\n"


@given(st.binary(max_size=300))
@settings(max_examples=300, deadline=None)
def test_decoding_anything_raises_nothing_but_unreadable_file(raw: bytes) -> None:
    try:
        text = decode(raw)
    except UnreadableFile as exc:
        assert str(exc)
    else:
        assert "\r" not in text


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [
        ("Name", ";"),  # one column: nothing to count, German Excel's default
        ("Name,E-Mail,Telefon", ","),
        ("Name\tE-Mail", "\t"),
        ('"Name, Vorname";E-Mail', ";"),  # the comma is inside quotes
        ('Name;"E-Mail;Adresse",Telefon,Notiz', ","),
        ("Name;E-Mail,Telefon", ";"),  # a tie goes to ';'
    ],
)
def test_the_delimiter_is_the_most_frequent_outside_quotes(line: str, delimiter: str) -> None:
    assert sniff_delimiter(line) == delimiter


def test_a_one_column_file_reads() -> None:
    raw = excel_export([LeadRowSpec(name="Müller"), LeadRowSpec(name="Weiß")], columns=["name"])
    table = read_table(decode(raw))
    assert table.header == ("Name",)
    assert table.rows == ((2, ("Müller",)), (3, ("Weiß",)))


def test_a_sep_line_is_honoured_and_not_counted() -> None:
    # The header alone would say ';' (two of them, one comma); the sep line says ','.
    text = "sep=,\nName;Vorname;Nachname,Notiz\nMüller;Jürgen;M,hallo\n"
    table = read_table(text)
    assert table.delimiter == ","
    assert table.header == ("Name;Vorname;Nachname", "Notiz")
    assert table.rows == ((2, ("Müller;Jürgen;M", "hallo")),)


def test_a_builder_sep_line_with_tabs() -> None:
    raw = excel_export(UMLAUT_ROWS, delimiter="\t", sep_line=True, header_language="en")
    table = read_table(decode(raw))
    assert table.delimiter == "\t"
    assert table.header[0] == "Full Name"
    assert [number for number, _ in table.rows] == [2, 3]


def test_blank_rows_are_dropped_but_keep_their_line() -> None:
    rows = [LeadRowSpec(name="A"), LeadRowSpec(), LeadRowSpec(name="B"), LeadRowSpec(notes="  ")]
    raw = excel_export(rows)
    assert b"\r\n;;;;;;;;;\r\n" in raw
    table = read_table(decode(raw))
    assert [number for number, _ in table.rows] == [2, 4] == [n for n in expected_rows(rows) if n]


def test_a_quoted_cell_with_a_line_break_and_a_semicolon_moves_the_next_row_number() -> None:
    rows = [
        LeadRowSpec(name="Müller", notes="Rückruf erbeten;\nbitte nachmittags\n(nicht Mo)"),
        LeadRowSpec(name="Weiß"),
    ]
    table = read_table(decode(excel_export(rows)))
    assert [number for number, _ in table.rows] == [2, 5]
    assert table.rows[0][1][5] == "Rückruf erbeten;\nbitte nachmittags\n(nicht Mo)"


def test_trailing_empty_header_cells_are_dropped() -> None:
    table = read_table("Name;E-Mail;;;\nMüller;m@example.de;;;\n")
    assert table.header == ("Name", "E-Mail")
    assert table.rows == ((2, ("Müller", "m@example.de", "", "", "")),)


@pytest.mark.parametrize("text", ["", "\n\n", "sep=;\n", ";;;\n;;\n", "   \n"])
def test_a_file_without_a_header_is_unreadable(text: str) -> None:
    with pytest.raises(UnreadableFile):
        read_table(text)


def test_a_header_only_file_has_no_rows() -> None:
    assert read_table(decode(excel_export([]))).rows == ()


# Cells as people type them: words (with umlauts, so cp1252 differs from UTF-8), numbers,
# the delimiters, quotes and line breaks Excel must quote.
_WORDS = st.sampled_from([
    "Müller", "Jürgen", "Weiß", "Bäckerei", "Größe", "Köln", "Straße", "für", "Grüße",
    "Max", "Anna", "GmbH", "Rückruf", "bitte", "Termin", "ÄÖÜ", "1200€", "Kunde",
])
_GLUE = st.sampled_from([" ", " ", ", ", "; ", "\n", '"', "\t", "-", " & ", "@", ""])
_CELL = st.lists(st.tuples(_WORDS, _GLUE), max_size=4).map(
    lambda parts: "".join(word + glue for word, glue in parts)
)
_ROW = st.builds(LeadRowSpec, name=_CELL, email=_CELL, notes=_CELL, company=_CELL,
                 last_contact=_CELL)


@given(
    rows=st.lists(_ROW, max_size=6),
    encoding=st.sampled_from(["cp1252", "utf-8"]),
    delimiter=st.sampled_from([";", ",", "\t"]),
    sep_line=st.booleans(),
)
@settings(max_examples=200, deadline=None)
def test_any_rows_the_builder_writes_read_back_equal(
    rows: list[LeadRowSpec], encoding: str, delimiter: str, sep_line: bool
) -> None:
    raw = excel_export(rows, encoding=encoding, delimiter=delimiter, sep_line=sep_line,
                       bom=encoding == "utf-8" and sep_line)
    table = read_table(decode(raw))
    assert table.delimiter == delimiter
    assert table.header == tuple(header_row("de"))
    written = [(n, tuple(r.cells())) for n, r in zip(expected_rows(rows), rows, strict=True) if n]
    assert list(table.rows) == written


def test_the_builder_refuses_a_bom_on_cp1252() -> None:
    with pytest.raises(ValueError, match="UTF-8"):
        excel_export([], encoding="cp1252", bom=True)
    assert excel_export([], encoding="utf-8", bom=True).startswith(codecs.BOM_UTF8)
