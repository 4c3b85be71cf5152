"""An uploaded lead file, from bytes to a table of cells: its encoding, its delimiter, its rows.

The files come from German Excel ("CSV (Trennzeichen-getrennt)"): cp1252, ';' between
cells, '\\r\\n' between records, sometimes a ``sep=;`` first line, sometimes a UTF-8 BOM
("CSV UTF-8"), padded with empty trailing cells. Row numbers are the ones Excel shows, so
a user can find the row an error names: the header is row 1, and a quoted cell holding
line breaks spans several rows of the file, so the records after it number on from the
physical line they start on.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

import charset_normalizer

DELIMITERS = (";", ",", "\t")
# Ties go to the first: ';' is what German Excel writes.
_DEFAULT_DELIMITER = ";"


class UnreadableFile(ValueError):
    """The file as a whole cannot be read; the message says why (for a 422)."""


@dataclass(frozen=True)
class Table:
    delimiter: str
    header: tuple[str, ...]  # as written in the file (stripped); trailing empty cells dropped
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (row number as in Excel, cells as written)


def decode(raw: bytes) -> str:
    """The text of ``raw``, with line breaks normalised to '\\n'."""
    if raw.startswith(codecs.BOM_UTF8):
        text = _strict(raw[len(codecs.BOM_UTF8) :], "utf-8")
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode-Text" export: UTF-16 with a BOM, the one case NUL bytes are text.
        text = _strict(raw, "utf-16")
    elif b"\x00" in raw:
        raise UnreadableFile("the file is binary (it contains NUL bytes), not a CSV text file")
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = _detected(raw)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _strict(raw: bytes, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"the file declares {encoding} (a byte order mark) but byte {exc.start} is not"
        ) from None


def _detected(raw: bytes) -> str:
    # cp1252 first, by its bytes: German Excel writes it, and on short files (a few names)
    # the detector's guess is unreliable (it calls "Müller" big5 and "ÄÖÜ" hp_roman8).
    if (western := _western(raw)) is not None:
        return western
    best = charset_normalizer.from_bytes(raw).best()
    if best is None:
        raise UnreadableFile(
            "the file's encoding is not recognisable: save it as CSV UTF-8 or as CSV from Excel"
        )
    return str(best)


# The cp1252 bytes of the letters and signs Western European names and notes use:
# umlauts and accented vowels, ß, ç, ñ, €, typographic quotes and dashes, °, §, NBSP.
_WESTERN_BYTES = (
    # Escaped: single quotes, en dash and acute accent, which ruff mistakes for ASCII.
    "äöüÄÖÜßéèêëàáâçñíìîïóòôúùûÉÈÀÇ€„“”\u2018\u2019\u2013—…•°§\xa0²³µ·\u00b4«»©®½".encode("cp1252")
)
_ASCII_BYTES = bytes(range(0x80))
# Cyrillic cp1251 shares about half its letters' bytes with that set, Shift-JIS and
# GBK fewer still; German text has nothing else.
_WESTERN_SHARE = 0.9


def _western(raw: bytes) -> str | None:
    """``raw`` read as cp1252 if its non-ASCII bytes are (nearly) all Western letters."""
    # bytes.translate deletes in C: a 10 MB export is counted in milliseconds.
    high = raw.translate(None, _ASCII_BYTES)
    others = high.translate(None, _WESTERN_BYTES)
    if len(others) > (1 - _WESTERN_SHARE) * len(high):
        return None
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: cp850 from DOS, say
        return None


def read_table(text: str) -> Table:
    """The delimiter, header and non-blank rows of a CSV text (see :func:`decode`)."""
    lines = text.removeprefix("\ufeff").split("\n")
    sep = _sep_line(lines[0])
    skipped = 0 if sep is None else 1  # Excel hides the sep line: the header is row 1
    body = "\n".join(lines[skipped:])
    first_line = next((line for line in lines[skipped:] if line.strip()), "")
    if not first_line:
        raise UnreadableFile("the file is empty: it needs a header row and at least one lead")
    delimiter = sep or sniff_delimiter(first_line)
    records = _records(body, delimiter)
    header_at = next((i for i, (_, cells) in enumerate(records) if _filled(cells)), None)
    if header_at is None:
        raise UnreadableFile("the file has no header row")
    _, header_cells = records[header_at]
    header = [cell.strip() for cell in header_cells]
    while header and not header[-1]:
        header.pop()
    rows = tuple(
        (line, tuple(cells)) for line, cells in records[header_at + 1 :] if _filled(cells)
    )
    return Table(delimiter=delimiter, header=tuple(header), rows=rows)


def _sep_line(line: str) -> str | None:
    """The delimiter a ``sep=;`` line (Excel's hint) names, or None if ``line`` is not one."""
    stripped = line.strip(" ").strip('"')  # not strip(): "sep=\t" names a tab
    if stripped.lower().startswith("sep=") and len(stripped) == 5:
        return stripped[4]
    return None


def sniff_delimiter(line: str) -> str:
    """The most frequent of ';', ',' and tab outside quotes in ``line`` (a header).

    Not ``csv.Sniffer``: it guesses from character frequencies across lines and fails
    ("Could not determine delimiter") on one-column or two-line files, which users send.
    """
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])  # max keeps the first of equals
    return best if counts[best] else _DEFAULT_DELIMITER


def _records(body: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """Every record with the physical line it starts on (1 = the first line of ``body``)."""
    reader = csv.reader(io.StringIO(body), delimiter=delimiter, strict=False)
    records: list[tuple[int, list[str]]] = []
    next_line = 1
    try:
        for cells in reader:
            records.append((next_line, cells))
            # line_num counts the physical lines read so far, so a record that holds a
            # quoted line break moves the next record's number on by more than one.
            next_line = reader.line_num + 1
    except csv.Error as exc:
        raise UnreadableFile(f"line {reader.line_num} cannot be read as CSV: {exc}") from None
    return records


def _filled(cells: list[str]) -> bool:
    return any(cell.strip() for cell in cells)
