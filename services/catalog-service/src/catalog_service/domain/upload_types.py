"""Which kind of knowledge file an upload is, decided by what it contains.

Binary formats are recognised by their magic bytes, never by their name or by the
browser's ``Content-Type`` (which is often ``application/octet-stream``, or whatever the
name suggests): a ``.pdf`` must start like a PDF, a ``.docx`` must be a ZIP holding
``word/document.xml``. The text types have no magic, so their extension decides (the
``Content-Type`` only when the name has no known extension), after a check that the
bytes look like text at all.

``head`` is the first bytes of the upload (at least a few KiB); when it is the whole
file, a DOCX's ZIP listing is checked here too, otherwise at extraction.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath

SUPPORTED = ("pdf", "docx", "txt", "md", "csv", "html")
SUPPORTED_TEXT = "PDF, DOCX, TXT, Markdown, CSV or HTML"

_TEXT_EXTENSIONS = {
    ".txt": "txt", ".text": "txt",
    ".md": "md", ".markdown": "md",
    ".csv": "csv",
    ".html": "html", ".htm": "html",
}
_TEXT_CONTENT_TYPES = {
    "text/plain": "txt", "text/markdown": "md", "text/x-markdown": "md",
    "text/csv": "csv", "text/html": "html",
}
# Formats people upload by mistake, named so the refusal says what the file is.
_KNOWN_BINARIES: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "an executable (ELF)"),
    (b"\xcf\xfa\xed\xfe", "an executable (Mach-O)"),
    (b"\xce\xfa\xed\xfe", "an executable (Mach-O)"),
    (b"\xca\xfe\xba\xbe", "an executable (Mach-O or Java class)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
     "a legacy Office document (.doc, .xls, .ppt): save it as DOCX or PDF"),
    (b"{\\rtf", "an RTF document: save it as DOCX or PDF"),
)
_ZIP_MAGIC = b"PK\x03\x04"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# The PDF header may follow a little junk (the spec's readers look in the first KiB).
_PDF_HEADER_WINDOW = 1024


class UnsupportedUpload(ValueError):
    """The upload is not a file we read; ``reason`` says what it is instead."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def classify_upload(filename: str, content_type: str | None, head: bytes) -> str:
    """``pdf``, ``docx``, ``txt``, ``md``, ``csv`` or ``html``; else UnsupportedUpload."""
    extension = PurePath(filename).suffix.lower()
    if not head:
        raise UnsupportedUpload("the file is empty")
    if b"%PDF-" in head[:_PDF_HEADER_WINDOW]:
        return "pdf"
    if head.startswith(_ZIP_MAGIC):
        return _zip_kind(extension, head)
    # "MZ" also starts ordinary text; a Windows executable's DOS header has NULs.
    if head.startswith(b"MZ") and b"\x00" in head[:64]:
        raise UnsupportedUpload(f"the file is a Windows executable; upload {SUPPORTED_TEXT}")
    for magic, what in _KNOWN_BINARIES:
        if head.startswith(magic):
            raise UnsupportedUpload(f"the file is {what}; upload {SUPPORTED_TEXT}")
    if head[8:12] == b"WEBP" and head.startswith(b"RIFF"):
        raise UnsupportedUpload(f"the file is a WebP image; upload {SUPPORTED_TEXT}")
    if extension == ".pdf":
        raise UnsupportedUpload("the file is named .pdf but is not a PDF")
    if extension == ".docx":
        raise UnsupportedUpload("the file is named .docx but is not a Word document")
    kind = _TEXT_EXTENSIONS.get(extension)
    if kind is None and content_type is not None:
        kind = _TEXT_CONTENT_TYPES.get(content_type.split(";")[0].strip().lower())
    if kind is None:
        named = f"'{extension}' files are" if extension else "a file without an extension is"
        raise UnsupportedUpload(f"{named} not supported; upload {SUPPORTED_TEXT}")
    if not _looks_like_text(head):
        raise UnsupportedUpload(f"the file is named {extension or kind} but holds binary data")
    return kind


def _zip_kind(extension: str, head: bytes) -> str:
    if extension != ".docx":
        raise UnsupportedUpload(
            "the file is a ZIP archive (a .zip, .xlsx, .pptx, .odt, ...), not a supported"
            f" document; upload {SUPPORTED_TEXT}"
        )
    names = _zip_listing(head)
    if names is not None and "word/document.xml" not in names:
        raise UnsupportedUpload("the file is named .docx but is not a Word document")
    return "docx"


def _zip_listing(data: bytes) -> set[str] | None:
    """The member names, if ``data`` holds the whole archive (its central directory is
    at the end); None when only a head was given."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, EOFError):
        return None


def _looks_like_text(head: bytes) -> bool:
    """Text has no NUL bytes (except UTF-16, which announces itself with a BOM) and
    few other control characters."""
    if head.startswith(_UTF16_BOMS):
        return True
    if b"\x00" in head:
        return False
    controls = sum(1 for byte in head if byte < 0x20 and byte not in b"\t\n\r\f")
    return controls * 100 <= len(head)
