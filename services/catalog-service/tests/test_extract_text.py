"""Text extraction, per type, in this process (the sandbox around it is tested in
test_extraction_sandbox): what is read, and every refusal's reason."""

from __future__ import annotations

import functools
import re

import pytest
from catalog_service.adapters.text_extraction import (
    ExtractionLimits,
    UnreadableFile,
    extract_text,
)
from catalog_service.domain.extraction import MIB, NO_TEXT_LAYER
from catalog_service.sample_files import (
    blank_pdf,
    docx_with,
    encrypted_pdf,
    owner_locked_pdf,
    pdf_with_text,
    pdf_without_text,
    zip_bomb_docx,
    zip_with,
)

LIMITS = ExtractionLimits()


def refusal(data: bytes, file_type: str, limits: ExtractionLimits = LIMITS) -> str:
    with pytest.raises(UnreadableFile) as refused:
        extract_text(data, file_type, limits)
    return refused.value.reason


@functools.cache
def ten_thousand_pages() -> bytes:
    return blank_pdf(10_000)


# --- PDF -------------------------------------------------------------------------------------


def test_pdf_text_layer_is_read_page_by_page() -> None:
    pdf = pdf_with_text([["Öffnungszeiten", "Montag bis Freitag (8-18 Uhr)"],
                         ["Preise: Reinigung 80 €"]])
    assert extract_text(pdf, "pdf", LIMITS) == (
        "Öffnungszeiten\nMontag bis Freitag (8-18 Uhr)\n\nPreise: Reinigung 80 €"
    )


def test_an_encrypted_pdf_is_refused() -> None:
    reason = refusal(encrypted_pdf([["Geheim"]]), "pdf")
    assert reason == ("the PDF is encrypted (password protected): remove the password and"
                      " upload it again")


def test_a_pdf_anyone_may_open_is_read_although_encrypted() -> None:
    # An empty user password: only editing is restricted, reading is not.
    assert extract_text(owner_locked_pdf([["Frei lesbar"]]), "pdf", LIMITS) == "Frei lesbar"


def test_ten_thousand_pages_are_refused_from_the_page_count() -> None:
    assert refusal(ten_thousand_pages(), "pdf") == (
        "the PDF has 10,000 pages; at most 2,000 are read: split it"
    )


def test_a_page_count_that_lies_is_caught_from_the_page_tree() -> None:
    pdf = blank_pdf(2500)
    assert b"/Count 2500" in pdf
    lying = pdf.replace(b"/Count 2500", b"/Count 1   ")  # same length: offsets hold
    assert refusal(lying, "pdf") == "the PDF has 2,500 pages; at most 2,000 are read: split it"


def test_a_scanned_pdf_has_no_text_layer() -> None:
    assert refusal(pdf_without_text(pages=3), "pdf") == NO_TEXT_LAYER
    assert NO_TEXT_LAYER == "no text layer: scanned documents are not supported"


@pytest.mark.parametrize(
    "broken",
    [
        b"%PDF-1.7\nthis is not a PDF at all",
        pdf_with_text([["Half a file"]])[:150],
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 1 0 R >> endobj\ntrailer << /Root 1 0 R >>",
    ],
)
def test_a_malformed_pdf_is_unreadable_not_a_crash(broken: bytes) -> None:
    reason = refusal(broken, "pdf")
    assert reason.startswith("the PDF could not be read") or reason == NO_TEXT_LAYER


# --- DOCX ------------------------------------------------------------------------------------


def test_docx_paragraphs_and_tables_in_order() -> None:
    docx = docx_with(["Speisekarte", "Alle Gerichte frisch.", "Mittagstisch ab 12 Uhr."],
                     table=[["Gericht", "Preis"], ["Schnitzel", "14 €"]])
    assert extract_text(docx, "docx", LIMITS) == (
        "Speisekarte\n\nAlle Gerichte frisch.\n\nMittagstisch ab 12 Uhr.\n\n"
        "Gericht | Preis\nSchnitzel | 14 €"
    )


def test_a_zip_bomb_is_refused_from_its_listing() -> None:
    reason = refusal(zip_bomb_docx(1024 * MIB), "docx")
    said = re.fullmatch(
        r"the Word document unpacks to ([\d,]+) bytes; at most 104,857,600 are accepted", reason
    )
    assert said is not None, reason
    assert int(said[1].replace(",", "")) > 1024 * MIB


def test_a_part_compressed_too_well_is_refused() -> None:
    # 50 MiB: within the size limit, but zeros shrink far beyond 100 to 1.
    reason = refusal(zip_bomb_docx(50 * MIB), "docx")
    assert reason.startswith("the Word document is a ZIP bomb: word/document.xml is compressed")


def test_too_many_parts_are_refused() -> None:
    many = zip_with(["word/document.xml", *(f"word/media/{i}.xml" for i in range(2500))])
    assert refusal(many, "docx") == (
        "the Word document holds 2,501 parts; at most 2,000 are accepted"
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"PK\x03\x04 truncated", "the Word document is not a valid ZIP archive"),
        (zip_with(["xl/workbook.xml"]), "the file is not a Word document (no word/document.xml)"),
        (zip_with(["word/document.xml"]), "the Word document could not be read"),
    ],
)
def test_a_broken_docx_is_unreadable(data: bytes, reason: str) -> None:
    assert refusal(data, "docx").startswith(reason)


# --- HTML ------------------------------------------------------------------------------------


def test_html_without_scripts_styles_or_markup() -> None:
    html = b"""<!doctype html><html><head><title>Praxis Dr. M\xc3\xbcller</title>
    <style>body { color: red }</style><script>alert("tracking")</script></head>
    <body><nav>Home</nav><h1>Sprechzeiten</h1><p>Mo&ndash;Fr <b>8</b>&ndash;18 Uhr.<br>Sa
    geschlossen.</p><table><tr><th>Tag</th><th>Zeit</th></tr><tr><td>Mo</td><td>8-18</td>
    </tr></table><script>more()</script><noscript>Enable JS</noscript></body></html>"""
    assert extract_text(html, "html", LIMITS) == (
        "Praxis Dr. Müller\n\nHome\n\nSprechzeiten\n\nMo\u2013Fr 8\u201318 Uhr.\nSa geschlossen."
        "\n\nTag | Zeit\n\nMo | 8-18"
    )


def test_html_in_its_declared_charset() -> None:
    html = '<html><head><meta charset="iso-8859-1"></head><body><p>Grüße</p></body></html>'
    assert extract_text(html.encode("latin-1"), "html", LIMITS) == "Grüße"


# --- text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("Öffnungszeiten: Mo\u2013Fr".encode(), "Öffnungszeiten: Mo\u2013Fr"),
        ("\ufeffMit BOM: Grüße".encode(), "Mit BOM: Grüße"),
        ("Windows: Grüße, Maße, «Zitat» \u2013 5 €".encode("cp1252"), "Windows: Grüße, Maße, «Zitat» \u2013 5 €"),
        ("UTF-16 aus Notepad: Grüße".encode("utf-16"), "UTF-16 aus Notepad: Grüße"),
        # 0x81 is undefined in cp1252: replaced, the rest kept.
        (b"Stra\xdfe \x81 Ende", "Straße \ufffd Ende"),
        (b"Zeile 1\r\nZeile 2\rZeile 3\x00\x07 Ende\n\n\n\n\nSchluss  \n",
         "Zeile 1\nZeile 2\nZeile 3 Ende\n\nSchluss"),
    ],
)
def test_text_files_decoded(data: bytes, text: str) -> None:
    for file_type in ("txt", "md", "csv"):
        assert extract_text(data, file_type, LIMITS) == text


def test_csv_keeps_its_rows() -> None:
    assert extract_text(b"Leistung;Preis\nReinigung;80\n", "csv", LIMITS) == (
        "Leistung;Preis\nReinigung;80"
    )


def test_a_byte_order_mark_that_lies_is_unreadable() -> None:
    assert refusal(b"\xef\xbb\xbfGr\xfc\xdfe", "txt") == (
        "the file starts with a UTF-8 byte order mark but is not UTF-8 text"
    )


def test_text_holding_nothing_is_unreadable() -> None:
    assert refusal(b" \n\t\r\n ", "txt") == "the file holds no text"


def test_too_much_text_is_refused_not_truncated() -> None:
    limits = ExtractionLimits(max_chars=1000)
    assert extract_text(b"a" * 1000, "txt", limits) == "a" * 1000
    assert refusal(b"a" * 1001, "txt", limits) == (
        "the text is longer than 1,000 characters: split the document into smaller files"
    )
    many_pages = pdf_with_text([["x" * 80] * 40] * 2)
    assert refusal(many_pages, "pdf", ExtractionLimits(max_chars=1000)).startswith(
        "the text is longer than 1,000 characters"
    )


def test_an_unknown_type_is_unreadable() -> None:
    assert refusal(b"data", "exe") == "unsupported file type 'exe'"
