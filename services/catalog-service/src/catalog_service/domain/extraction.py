"""What text extraction promises, whichever process runs it: the limits a file must stay
within, the text it yields, and the one way it fails (``UnreadableFile``, with a reason
meant for the user: it becomes the file's ``error``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

MIB = 1024 * 1024


class UnreadableFile(Exception):
    """The file's text cannot be had; ``reason`` says why, in the user's words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ExtractionLimits:
    """Bounds on the work one file may cause (docs/knowledge-files.md says why each)."""

    # PDF: pages counted from the page tree, before any page is read.
    max_pages: int = 2000
    # DOCX: the ZIP's declared sizes, checked before python-docx opens it.
    max_unzipped_bytes: int = 100 * MIB
    max_compression_ratio: float = 100.0
    max_zip_members: int = 2000
    # More text than this is refused, not truncated: a truncated file would answer
    # searches as if it were whole.
    max_chars: int = 2_000_000
    # The child process that extracts (catalog_service.adapters.extraction_sandbox).
    memory_bytes: int = 1024 * MIB
    cpu_seconds: int = 90
    timeout_seconds: float = 120.0
    concurrency: int = 1


@dataclass(frozen=True)
class ExtractedText:
    text: str
    language: str  # a Postgres text search configuration: german, english, ..., simple


NO_TEXT_LAYER = "no text layer: scanned documents are not supported"

# C0 controls but tab and newline (and the NUL Postgres refuses in text and jsonb).
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TRAILING_SPACE = re.compile(r"[ \t\u00a0]+\n")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """Text every store accepts: one newline convention, no control characters, no
    lone surrogates (neither UTF-8 nor Postgres can hold them), no runs of blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = _CONTROLS.sub("", text)
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = _TRAILING_SPACE.sub("\n", text)
    return _MANY_BLANK_LINES.sub("\n\n", text).strip()


def too_long(limits: ExtractionLimits) -> UnreadableFile:
    return UnreadableFile(
        f"the text is longer than {limits.max_chars:,} characters: split the document"
        " into smaller files"
    )


def check_length(text: str, limits: ExtractionLimits) -> str:
    if len(text) > limits.max_chars:
        raise too_long(limits)
    return text
