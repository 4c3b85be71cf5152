"""Test support: sample knowledge files built on the spot, hostile ones included.

No binary file is committed: each sample is generated from a few lines (PDF syntax
written out, python-docx, zipfile), so a reader sees exactly what a test feeds the
extractor. No pytest dependency; used by catalog-service's tests.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Sequence

from pypdf import PdfReader, PdfWriter

MIB = 1024 * 1024


def pdf_with_text(pages: Sequence[Sequence[str]]) -> bytes:
    """A PDF with a real text layer: one page per entry, one text line per string
    (Helvetica, WinAnsi encoded, so German and French letters survive)."""
    contents = [_text_stream(lines) for lines in pages]
    return _pdf(contents)


def pdf_without_text(pages: int = 1) -> bytes:
    """What a scanner makes, as far as text goes: pages that draw but hold no text."""
    return _pdf([b"0.5 g 72 72 468 648 re f"] * pages)


def blank_pdf(pages: int) -> bytes:
    """A PDF of ``pages`` empty pages (pypdf's writer; cheap even for 10,000)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    return _written(writer)


def encrypted_pdf(pages: Sequence[Sequence[str]], password: str = "s3cret") -> bytes:
    """A text PDF that opens only with ``password`` (AES-256)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with_text(pages))))
    writer.encrypt(user_password=password, owner_password=password, algorithm="AES-256")
    return _written(writer)


def owner_locked_pdf(pages: Sequence[Sequence[str]]) -> bytes:
    """Encrypted with an empty user password: anyone may open it (only editing is
    restricted), as many PDFs from office software are."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with_text(pages))))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    return _written(writer)


def docx_with(paragraphs: Sequence[str], table: Sequence[Sequence[str]] = ()) -> bytes:
    import docx

    document = docx.Document()
    for i, paragraph in enumerate(paragraphs):
        if i == 0:
            document.add_heading(paragraph, level=1)
        else:
            document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_bomb_docx(unpacked_bytes: int = 1024 * MIB) -> bytes:
    """A real DOCX but for its word/document.xml: ``unpacked_bytes`` of zeros, deflated
    (a few hundredths of that on disk), streamed so building it never holds it in
    memory."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx_with(["Harmless"]))) as template, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for item in template.infolist():
            if item.filename != "word/document.xml":
                archive.writestr(item, template.read(item))
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for block in _zeros(unpacked_bytes):
                member.write(block)
    return out.getvalue()


def zip_with(names: Sequence[str]) -> bytes:
    """A ZIP archive with these (small) members."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.writestr(name, f"<part name='{name}'/>")
    return out.getvalue()


def _zeros(total: int) -> Iterator[bytes]:
    block = bytes(MIB)
    for _ in range(total // MIB):
        yield block
    yield bytes(total % MIB)


def _written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _text_stream(lines: Sequence[str]) -> bytes:
    ops = [b"BT /F1 11 Tf 14 TL 72 740 Td"]
    for line in lines:
        escaped = (line.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(")
                   .replace(b")", b"\\)"))
        ops.append(b"(" + escaped + b") Tj T*")
    ops.append(b"ET")
    return b"\n".join(ops)


def _pdf(contents: Sequence[bytes]) -> bytes:
    """A PDF written out by hand: catalog, page tree, one font, a page and a content
    stream per page, and the cross-reference table that locates each object."""
    page_ids = [4 + 2 * i for i in range(len(contents))]
    kids = b" ".join(b"%d 0 R" % pid for pid in page_ids)
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(contents)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for pid, content in zip(page_ids, contents, strict=True):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
            b" /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (pid + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)
