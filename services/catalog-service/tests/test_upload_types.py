"""What an upload is, decided by its content: magic bytes for PDF and DOCX, the
extension for the text types, and clear refusals for everything else."""

from __future__ import annotations

import pytest
from catalog_service.domain.upload_types import UnsupportedUpload, classify_upload
from catalog_service.sample_files import docx_with, pdf_with_text, zip_with

PDF = pdf_with_text([["Hallo"]])
DOCX = docx_with(["Titel", "Text"])


@pytest.mark.parametrize(
    ("filename", "content_type", "head", "kind"),
    [
        ("Preise.pdf", "application/pdf", PDF, "pdf"),
        # The browser's type and the name do not decide a binary format: its bytes do.
        ("Preise.PDF", "application/octet-stream", PDF, "pdf"),
        ("download", None, PDF, "pdf"),
        ("Menü.docx", "application/octet-stream", DOCX, "docx"),
        # Only the head of a large DOCX: its listing is checked at extraction.
        ("Menü.docx", None, DOCX[:4096], "docx"),
        ("notes.txt", "text/plain", b"Opening hours: 8-18\n", "txt"),
        ("notes.text", None, "Öffnungszeiten".encode("cp1252"), "txt"),
        ("README.md", "text/markdown", b"# Hours\n\n* Mon-Fri\n", "md"),
        ("faq.markdown", None, b"# FAQ", "md"),
        ("prices.csv", "text/csv", b"item,price\ncleaning,80\n", "csv"),
        ("site.html", "text/html", b"<!doctype html><p>Hi</p>", "html"),
        ("site.HTM", None, b"<html><body>Hi</body></html>", "html"),
        ("utf16.txt", None, "Grüße".encode("utf-16"), "txt"),
        # No known extension: the declared text type is taken.
        ("hours", "text/plain; charset=utf-8", b"Mon-Fri 8-18", "txt"),
        ("export", "text/csv", b"a,b\n1,2\n", "csv"),
        ("MZ Holdings.txt", None, b"MZ Holdings: annual report", "txt"),
    ],
)
def test_accepted(filename: str, content_type: str | None, head: bytes, kind: str) -> None:
    assert classify_upload(filename, content_type, head) == kind


@pytest.mark.parametrize(
    ("filename", "content_type", "head", "reason"),
    [
        ("empty.txt", "text/plain", b"", "the file is empty"),
        ("invoice.pdf", "application/pdf", b"<html>not a pdf</html>",
         "named .pdf but is not a PDF"),
        ("letter.docx", None, b"plain text pretending", "named .docx but is not a Word document"),
        ("tool.exe", None, b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "Windows executable"),
        ("tool.pdf", "application/pdf", b"MZ\x90\x00\x03\x00\x00\x00", "Windows executable"),
        ("run", None, b"\x7fELF\x02\x01\x01\x00", "executable (ELF)"),
        ("photo.png", "image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        ("photo.txt", "text/plain", b"\xff\xd8\xff\xe0\x00\x10JFIF", "a JPEG image"),
        ("anim.gif", None, b"GIF89a\x01\x00", "a GIF image"),
        ("pic.webp", None, b"RIFF\x10\x00\x00\x00WEBPVP8 ", "a WebP image"),
        ("old.doc", None, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "legacy Office document"),
        ("backup.txt.gz", None, b"\x1f\x8b\x08\x00", "gzip archive"),
        ("archive.zip", "application/zip", zip_with(["a.txt"]), "ZIP archive"),
        ("sheet.xlsx", None, zip_with(["xl/workbook.xml"]), "ZIP archive"),
        # Named .docx, a ZIP, but not a Word document (a renamed spreadsheet).
        ("sheet.docx", None, zip_with(["[Content_Types].xml", "xl/workbook.xml"]),
         "named .docx but is not a Word document"),
        ("data.json", "application/json", b'{"a": 1}', "'.json' files are not supported"),
        ("noext", "application/octet-stream", b"hello", "without an extension"),
        ("binary.txt", "text/plain", b"abc\x00\x01\x02def", "holds binary data"),
    ],
)
def test_refused_with_a_reason(
    filename: str, content_type: str | None, head: bytes, reason: str
) -> None:
    with pytest.raises(UnsupportedUpload) as refused:
        classify_upload(filename, content_type, head)
    assert reason in refused.value.reason
    assert isinstance(refused.value, ValueError)  # so a 422 handler may catch it as one
