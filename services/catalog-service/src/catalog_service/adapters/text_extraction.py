"""The text of an uploaded file, by its type: pypdf, python-docx, Beautiful Soup, codecs.

Every failure is an ``UnreadableFile`` with a reason the user can act on; whatever a
library raises on a malformed file is turned into one. The checks that cost nothing are
made before the expensive work they guard (a PDF's page count before its pages, a
DOCX's ZIP listing before it is unpacked). What a check cannot bound (a PDF page whose
content stream is a bomb) the sandbox bounds: this module runs in its child process
(``catalog_service.adapters.extraction_sandbox``).
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from catalog_service.domain.extraction import (
    NO_TEXT_LAYER,
    ExtractionLimits,
    UnreadableFile,
    check_length,
    normalize_text,
    too_long,
)

__all__ = ["ExtractionLimits", "UnreadableFile", "extract_text"]

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig", "UTF-8"), (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
         (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"))


def extract_text(data: bytes, file_type: str, limits: ExtractionLimits) -> str:
    """The file's text, normalised (``normalize_text``); UnreadableFile otherwise."""
    if file_type == "pdf":
        text = _pdf_text(data, limits)
    elif file_type == "docx":
        text = _docx_text(data, limits)
    elif file_type == "html":
        text = _html_text(data)
    elif file_type in ("txt", "md", "csv"):
        text = decode_text(data)
    else:
        raise UnreadableFile(f"unsupported file type {file_type!r}")
    text = check_length(normalize_text(text), limits)
    if not text:
        raise UnreadableFile(NO_TEXT_LAYER if file_type == "pdf" else "the file holds no text")
    return text


# --- plain text ------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """UTF-8 (or UTF-16) when a BOM says so, else UTF-8, else Windows-1252: what text
    files from Windows editors and spreadsheet exports are in when they are not UTF-8."""
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                raise UnreadableFile(
                    f"the file starts with a {name} byte order mark but is not {name} text"
                ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; a stray one must not lose the whole file.
        return data.decode("cp1252", errors="replace")


# --- PDF -------------------------------------------------------------------------------------


def _pdf_text(data: bytes, limits: ExtractionLimits) -> str:
    from pypdf import PasswordType, PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise UnreadableFile(
                "the PDF is encrypted (password protected): remove the password and"
                " upload it again"
            )
        # The declared count first (one dictionary), then the real one: the page tree
        # is walked only if the declaration is within bounds, and may not lie.
        _check_pages(_declared_pages(reader), limits)
        _check_pages(len(reader.pages), limits)
        return "\n\n".join(_page_texts(reader, limits))
    except UnreadableFile:
        raise
    except MemoryError:
        raise
    except Exception as exc:  # pypdf raises many kinds on a malformed file
        raise UnreadableFile(f"the PDF could not be read ({_brief(exc)})") from exc


def _declared_pages(reader: Any) -> int:
    count = reader.trailer["/Root"]["/Pages"].get("/Count", 0)
    return int(count)


def _check_pages(pages: int, limits: ExtractionLimits) -> None:
    if pages > limits.max_pages:
        raise UnreadableFile(
            f"the PDF has {pages:,} pages; at most {limits.max_pages:,} are read: split it"
        )


def _page_texts(reader: Any, limits: ExtractionLimits) -> Iterator[str]:
    total = 0
    for page in reader.pages:
        try:
            text = page.extract_text() or ""
        except MemoryError:
            raise
        except Exception:  # one broken page does not lose the others
            continue
        total += len(text)
        if total > limits.max_chars * 2:  # normalising shrinks text, never by half
            raise too_long(limits)
        yield text


# --- DOCX ------------------------------------------------------------------------------------


def _docx_text(data: bytes, limits: ExtractionLimits) -> str:
    _check_archive(data, limits)
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                blocks.append("\n".join(_table_rows(block)))
            else:
                blocks.append(block.text)
        return "\n\n".join(blocks)
    except UnreadableFile:
        raise
    except MemoryError:
        raise
    except Exception as exc:
        raise UnreadableFile(f"the Word document could not be read ({_brief(exc)})") from exc


def _check_archive(data: bytes, limits: ExtractionLimits) -> None:
    """A ZIP bomb is refused from its listing. The sizes it declares are the ones
    zipfile enforces while unpacking (it stops at the declared size and then fails the
    CRC), so a bomb cannot hide behind a small declaration."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise UnreadableFile(f"the Word document is not a valid ZIP archive ({exc})") from None
    if len(members) > limits.max_zip_members:
        raise UnreadableFile(
            f"the Word document holds {len(members):,} parts; at most"
            f" {limits.max_zip_members:,} are accepted"
        )
    if "word/document.xml" not in {m.filename for m in members}:
        raise UnreadableFile("the file is not a Word document (no word/document.xml)")
    unpacked = sum(m.file_size for m in members)
    if unpacked > limits.max_unzipped_bytes:
        raise UnreadableFile(
            f"the Word document unpacks to {unpacked:,} bytes; at most"
            f" {limits.max_unzipped_bytes:,} are accepted"
        )
    packed = sum(m.compress_size for m in members)
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        # Tiny parts compress well without meaning harm; big ones that shrink 100-fold
        # are what a bomb is made of.
        if member.file_size > 1024 * 1024 and ratio > limits.max_compression_ratio:
            raise UnreadableFile(
                f"the Word document is a ZIP bomb: {member.filename} is compressed"
                f" {ratio:,.0f} to 1 (at most {limits.max_compression_ratio:,.0f} accepted)"
            )
    if unpacked > 1024 * 1024 and unpacked / max(packed, 1) > limits.max_compression_ratio:
        raise UnreadableFile("the Word document is a ZIP bomb: it is compressed too well")


def _table_rows(table: Any) -> Iterator[str]:
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = cell.text.strip()
            if text and (not cells or cells[-1] != text):  # merged cells repeat
                cells.append(text)
        if cells:
            yield " | ".join(cells)


# --- HTML ------------------------------------------------------------------------------------

_DROPPED_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "object",
                 "head")
_BLOCK_TAGS = ("p", "div", "section", "article", "aside", "header", "footer", "main",
               "nav", "li", "dt", "dd", "tr", "table", "ul", "ol", "dl", "pre",
               "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "address", "figcaption",
               "form", "fieldset", "details", "summary", "hr")


_SPACES = re.compile(r"\s+")


def _html_text(data: bytes) -> str:
    from bs4 import BeautifulSoup
    from bs4.element import NavigableString

    try:
        # Bytes, so Beautiful Soup reads the document's own charset declaration.
        soup = BeautifulSoup(data, "html.parser")
        title = soup.title.get_text(" ", strip=True) if soup.title else ""
        for tag in soup.find_all(_DROPPED_TAGS):
            tag.decompose()
        # Line breaks in the source are spaces (except in <pre>); only the breaks
        # inserted below, at block boundaries, end a line.
        for string in soup.find_all(string=True):
            if type(string) is NavigableString and string.find_parent("pre") is None:
                string.replace_with(_SPACES.sub(" ", string))
        for br in soup.find_all("br"):
            br.replace_with("\n")
        for block in soup.find_all(_BLOCK_TAGS):
            block.insert_before("\n\n")
            block.insert_after("\n\n")
        for cell in soup.find_all(("td", "th")):
            cell.insert_after(" | ")
        body = soup.get_text()
    except MemoryError:
        raise
    except Exception as exc:
        raise UnreadableFile(f"the HTML could not be read ({_brief(exc)})") from exc
    lines = (" ".join(line.split()).rstrip(" |") for line in body.split("\n"))
    text = "\n".join(lines)
    return f"{title}\n\n{text}" if title else text


def _brief(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
