"""Rows of a lead file (or items of a JSON array) -> leads, or errors naming row and value.

One bad row never sinks the file: it becomes a :class:`RowError` the user can act on
("row 7: 'max@@mail' is not a valid e-mail address ..."), and the other rows import. Only
a file we cannot read at all (no name column) raises :class:`UnreadableFile`.
Duplicates are not merged here: :attr:`LeadInput.key` is what the caller merges by.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from email_validator import EmailNotValidError, validate_email
from ringbook.phone import InvalidPhoneNumber, to_e164

from catalog_service.domain.lead_dates import parse_date
from catalog_service.domain.lead_files import Table, UnreadableFile
from catalog_service.domain.lead_vocabulary import (
    channel_of,
    disg_of,
    field_of,
    header_aliases,
    language_of,
    status_of,
)

__all__ = ["LeadInput", "ParsedRows", "RowError", "parse_date", "rows_from_objects",
           "rows_from_table"]

MAX_CELL = 2_000
MAX_NOTES = 10_000
MAX_PHONE = 40  # characters of a phone number kept as written (E.164 has at most 16)
_NAME_FIELDS = ("name", "first_name", "last_name")

Cells = list[tuple[str, str]]  # (header or JSON key, value as written), in column order
Outcome = tuple[int, "LeadInput | list[RowError]"]


@dataclass(frozen=True)
class LeadInput:
    name: str
    email: str | None  # normalised, lowercase
    phone: str | None  # E.164 where it parses, else the cell with its spaces collapsed
    status: str | None
    channel: str | None
    notes: str | None
    last_contact: date | None
    disg_type: str | None
    language: str | None  # ISO 639-1
    extra: dict[str, str]  # "company" and unknown columns (header as written), non-empty

    @property
    def key(self) -> tuple[str | None, str | None]:
        """(email, phone): two rows with the same key are the same person."""
        return (self.email, self.phone)


@dataclass(frozen=True)
class RowError:
    row: int
    field: str | None  # the canonical field, or None for the whole row
    error: str


@dataclass(frozen=True)
class ParsedRows:
    leads: tuple[tuple[int, LeadInput], ...]
    errors: tuple[RowError, ...]  # a row may have several (one per bad field)
    total_rows: int  # non-blank data rows (items, for JSON): leads + rows with errors

    @property
    def error_rows(self) -> tuple[int, ...]:
        return tuple(sorted({error.row for error in self.errors}))


def rows_from_table(table: Table, *, region: str, today: date) -> ParsedRows:
    """The leads and row errors of a table read by ``read_table``."""
    fields = [field_of(header) for header in table.header]
    if not any(field in _NAME_FIELDS for field in fields):
        found = ", ".join(repr(h) for h in table.header if h) or "none"
        accepted = ", ".join(repr(h) for h in header_aliases("name") + header_aliases("first_name"))
        raise UnreadableFile(
            f"the file has no column of names; its headers are {found}; a name column may be "
            f"headed {accepted} (or first and last name in two columns)"
        )
    width = len(table.header)
    outcomes: list[Outcome] = []
    for row, cells in table.rows:
        if any(cell.strip() for cell in cells[width:]):
            error = RowError(
                row, None,
                f"the row has {len(cells)} cells but the header has {width} columns; check the "
                f"delimiter ({_shown(table.delimiter)}) and that cells holding it are quoted",
            )
            outcomes.append((row, [error]))
            continue
        padded = (*cells, *[""] * (width - len(cells)))  # a short row: missing cells are empty
        pairs = list(zip(table.header, padded, strict=False))
        outcomes.append((row, _lead(row, pairs, region=region, today=today)))
    return _collected(outcomes, total_rows=len(table.rows))


def rows_from_objects(items: Sequence[object], *, region: str, today: date) -> ParsedRows:
    """The leads and row errors of a JSON array of lead objects (row = 1-based index)."""
    outcomes: list[Outcome] = []
    for row, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            error = RowError(row, None, f"item {row} is {_kind(item)}, not an object")
            outcomes.append((row, [error]))
            continue
        pairs, errors = _object_cells(row, item)
        if errors:
            outcomes.append((row, errors))
        else:
            outcomes.append((row, _lead(row, pairs, region=region, today=today)))
    return _collected(outcomes, total_rows=len(items))


def _object_cells(row: int, item: Mapping[object, object]) -> tuple[Cells, list[RowError]]:
    # Seed 003's lead shape keeps some fields in "extra" ({"last_contact": ...}): its keys
    # are read like top-level ones, so they reach the same fields.
    entries: list[tuple[object, object]] = []
    for key, value in item.items():
        if key == "extra" and isinstance(value, Mapping):
            entries.extend(value.items())
        else:
            entries.append((key, value))
    pairs: Cells = []
    errors: list[RowError] = []
    for key, value in entries:
        if not isinstance(key, str):
            errors.append(RowError(row, None, f"the key {key!r} is not text"))
            continue
        text = _scalar_text(value)
        if text is None:
            errors.append(RowError(
                row, field_of(key), f"the value of {key!r} is {_kind(value)}, not text or a number"
            ))
        else:
            pairs.append((key, text))
    return pairs, errors


def _scalar_text(value: object) -> str | None:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):  # a bool is an int to Python, but never a lead's value
        return None
    if isinstance(value, int):
        # Python refuses str() of ints over 4,300 digits; no lead's value is one.
        return str(value) if abs(value) < 10**100 else None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    return None


def _lead(row: int, pairs: Cells, *, region: str, today: date) -> LeadInput | list[RowError]:
    values: dict[str, str] = {}
    extra: dict[str, str] = {}
    errors: list[RowError] = []
    for index, (header, raw) in enumerate(pairs, start=1):
        cell = raw.strip()
        field = field_of(header)
        limit = MAX_NOTES if field == "notes" else MAX_CELL
        label = header or f"column {index}"
        if len(cell) > limit:
            errors.append(RowError(
                row, field, f"the {label!r} cell has {len(cell)} characters; at most {limit} fit"
            ))
        elif field is not None and field != "company" and not values.get(field):
            values[field] = cell
        elif cell:
            # A second column of one field ("Telefon", "Handy") is kept, not lost.
            extra.setdefault("company" if field == "company" else label, cell)
    name = values.get("name") or " ".join(
        part for part in (values.get("first_name", ""), values.get("last_name", "")) if part
    )
    if not name:
        errors.append(RowError(row, "name", "the row has no name"))
    email = _email(row, values.get("email", ""), errors)
    phone = _phone(row, values.get("phone", ""), region, errors)
    if email is None and phone is None and not any(e.field in ("email", "phone") for e in errors):
        errors.append(RowError(row, None, "a lead needs an e-mail or a phone number"))
    try:
        last_contact = parse_date(values.get("last_contact", ""), today=today)
    except ValueError as exc:
        errors.append(RowError(row, "last_contact", f"the last contact {exc}"))
        last_contact = None
    if errors:
        return errors
    return LeadInput(
        name=name,
        email=email,
        phone=phone,
        status=status_of(values.get("status", "")),
        channel=channel_of(values["channel"]) if values.get("channel") else None,
        notes=values.get("notes") or None,
        last_contact=last_contact,
        disg_type=disg_of(values.get("disg_type", "")),
        language=language_of(values.get("language", "")),
        extra=extra,
    )


def _email(row: int, cell: str, errors: list[RowError]) -> str | None:
    if not cell:
        return None
    try:
        return validate_email(cell, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        errors.append(RowError(row, "email", f"{cell!r} is not a valid e-mail address: {exc}"))
        return None


def _phone(row: int, cell: str, region: str, errors: list[RowError]) -> str | None:
    if not cell:
        return None
    try:
        return to_e164(cell, field="phone", default_region=region)
    except InvalidPhoneNumber:
        # Kept as written: a number we cannot dial is still how the customer was reached,
        # and the user may fix it later; it only cannot be called as it is. Unless it is
        # no number at all: the phone is a lead's identity, indexed, and kept short.
        kept = " ".join(cell.split())
        if len(kept) > MAX_PHONE:
            errors.append(RowError(row, "phone", f"{kept[:60]!r}… is not a phone number "
                                                 f"(over {MAX_PHONE} characters)"))
            return None
        return kept


def _collected(outcomes: list[Outcome], *, total_rows: int) -> ParsedRows:
    leads = tuple((row, o) for row, o in outcomes if isinstance(o, LeadInput))
    errors = tuple(e for _, o in outcomes if not isinstance(o, LeadInput) for e in o)
    return ParsedRows(leads=leads, errors=errors, total_rows=total_rows)


def _shown(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else repr(delimiter)


def _kind(value: object) -> str:
    names = {list: "a list", dict: "an object", bool: "true or false", type(None): "null"}
    return names.get(type(value), f"a {type(value).__name__}")
