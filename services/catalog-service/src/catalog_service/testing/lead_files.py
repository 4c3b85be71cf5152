"""Builders of lead files as real users send them, for the tests of lead imports.

:func:`excel_export` writes what German Excel writes ("CSV (Trennzeichen-getrennt)"):
cp1252, ';', '\\r\\n' between records, '\\n' inside quoted cells (Alt+Enter), optionally a
``sep=;`` line or a UTF-8 BOM. :func:`expected_rows` says, from the builder's own
knowledge, which Excel row each spec lands on, so tests never ask the parser to check
itself. :func:`german_excel_export` makes a large file with a known answer.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta

COLUMNS = ("name", "email", "phone", "status", "channel", "notes", "last_contact",
           "disg_type", "language", "company")

HEADERS: dict[str, dict[str, str]] = {
    "de": {"name": "Name", "email": "E-Mail", "phone": "Telefon", "status": "Status",
           "channel": "Kanal", "notes": "Notizen", "last_contact": "Letzter Kontakt",
           "disg_type": "DISG-Typ", "language": "Sprache", "company": "Firma"},
    "en": {"name": "Full Name", "email": "Email Address", "phone": "Phone",
           "status": "Status", "channel": "Preferred Channel", "notes": "Notes",
           "last_contact": "Last contacted", "disg_type": "DISC", "language": "Language",
           "company": "Company"},
}


@dataclass(frozen=True)
class LeadRowSpec:
    """One row as the user typed it: every cell a string, '' for an empty cell.

    A spec with every cell empty is a blank row (Excel writes ';;;;'), which readers drop.
    """

    name: str = ""
    email: str = ""
    phone: str = ""
    status: str = ""
    channel: str = ""
    notes: str = ""
    last_contact: str = ""  # as written: '20.11.2024', '45616', '31.02.2024' ...
    disg_type: str = ""
    language: str = ""
    company: str = ""
    surplus: tuple[str, ...] = ()  # cells past the last column: a row that is broken

    def cells(self, columns: Sequence[str] = COLUMNS) -> list[str]:
        return [str(getattr(self, column)) for column in columns] + list(self.surplus)

    @property
    def blank(self) -> bool:
        return not any(cell.strip() for cell in self.cells())

    @property
    def lines(self) -> int:
        """Physical lines the row takes: one, plus one per line break inside a cell."""
        return 1 + sum(cell.count("\n") for cell in self.cells())


def header_row(header_language: str = "de", columns: Sequence[str] = COLUMNS) -> list[str]:
    return [HEADERS[header_language][column] for column in columns]


def export_text(
    rows: Sequence[LeadRowSpec],
    *,
    delimiter: str = ";",
    sep_line: bool = False,
    header_language: str = "de",
    columns: Sequence[str] = COLUMNS,
    line_ending: str = "\r\n",
) -> str:
    """The CSV text of ``rows`` under a header, before it is encoded."""
    out = io.StringIO()
    if sep_line:
        out.write(f"sep={delimiter}{line_ending}")
    # QUOTE_MINIMAL is Excel's rule too: only cells holding the delimiter, a quote or a
    # line break are quoted, and quotes inside are doubled.
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_ending)
    writer.writerow(header_row(header_language, columns))
    for row in rows:
        writer.writerow(row.cells(columns))
    return out.getvalue()


def excel_export(
    rows: Sequence[LeadRowSpec],
    *,
    encoding: str = "cp1252",
    delimiter: str = ";",
    bom: bool = False,
    sep_line: bool = False,
    header_language: str = "de",
    columns: Sequence[str] = COLUMNS,
    line_ending: str = "\r\n",
) -> bytes:
    """The bytes of ``rows`` as Excel saves them; ``bom`` means "CSV UTF-8" (utf-8 only)."""
    text = export_text(rows, delimiter=delimiter, sep_line=sep_line,
                       header_language=header_language, columns=columns,
                       line_ending=line_ending)
    if bom and codecs.lookup(encoding).name != "utf-8":
        raise ValueError("Excel writes a byte order mark only with UTF-8")
    return (codecs.BOM_UTF8 if bom else b"") + text.encode(encoding)


def expected_rows(rows: Sequence[LeadRowSpec]) -> list[int | None]:
    """The Excel row number of each spec (None for a blank row), counted by the builder.

    The header is row 1 (a ``sep=`` line is hidden by Excel and not counted); a row starts
    on the line after the previous row's last physical line.
    """
    numbers: list[int | None] = []
    line = 2
    for row in rows:
        numbers.append(None if row.blank else line)
        line += row.lines
    return numbers


def lead_objects(rows: Sequence[LeadRowSpec]) -> list[dict[str, object]]:
    """``rows`` as seed 003's JSON leads: last contact and company under "extra", and an
    empty cell as null."""
    objects: list[dict[str, object]] = []
    for row in rows:
        item: dict[str, object] = {
            f.name: getattr(row, f.name) or None
            for f in fields(row)
            if f.name not in ("last_contact", "company", "surplus")
        }
        item["extra"] = {"last_contact": row.last_contact or None, "company": row.company or None}
        objects.append(item)
    return objects


def json_export(rows: Sequence[LeadRowSpec]) -> bytes:
    return json.dumps(lead_objects(rows), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class ExpectedCounts:
    """The answer to a :func:`german_excel_export` file, known from how it was made.

    - ``total_rows``: data rows that are not blank (= n; blank rows are extra lines).
    - ``error_rows``: Excel row numbers of the broken rows (too many cells, a bad e-mail,
      the date 31.02.2024, no name, neither e-mail nor phone), one kind per row, sorted.
    - ``distinct_keys``: distinct (e-mail, phone) pairs of the valid rows after
      normalisation. Every duplicate row repeats an earlier valid row's e-mail and phone
      spelled differently (upper case, +49 instead of 0), and no two other rows share an
      e-mail or a phone, so merging by e-mail, by phone or by the pair gives this number.
    - ``duplicate_rows``: row numbers of those repeats; ``leads``: valid rows
      (total_rows - len(error_rows)), repeats included.
    - ``without_status`` / ``without_last_contact`` / ``stale``: valid rows with no
      status, with no last contact, with a last contact 200-800 days before ``today``
      (every other last contact is 0-25 days before it, so any threshold in between
      counts the same rows).
    - ``needs_action`` / ``leads_without_last_contact``: the same for the distinct leads
      (a repeat carries its original's status and last contact), as an import answers
      them: a lead needs action without a status, or with an open status and no or a
      stale last contact; "Gewonnen" and "Kein Interesse" are closed.
    """

    total_rows: int
    error_rows: tuple[int, ...]
    distinct_keys: int
    duplicate_rows: tuple[int, ...]
    leads: int
    without_status: int
    without_last_contact: int
    stale: int
    needs_action: int = 0
    leads_without_last_contact: int = 0


_CLOSED = ("Gewonnen", "Kein Interesse")
_FIRST = ("Jürgen", "Sören", "Björn", "Jörg", "Anna", "Lena", "Günter", "Käthe", "Max", "Renée")
_LAST = ("Müller", "Weiß", "Schäfer", "Größe", "Köhler", "Krüger", "Meißner", "Fischer")
_COMPANIES = ("Bäckerei Größe", "Müller & Söhne GmbH", "Café Weiß", "", "Schäfer; Partner")
_STATUSES = ("Neu", "In Bearbeitung", "Angebot verschickt", "Gewonnen", "Kein Interesse")
_CHANNELS = ("WhatsApp", "E-Mail", "Telefon", "Anruf", "SMS", "")
_DISG = ("D", "I", "Typ S", "gewissenhaft", "")
_BROKEN = ("surplus", "bad_email", "bad_date", "no_name", "no_contact")
_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e"})


def _written(day: date, rng: random.Random) -> str:
    forms = (day.strftime("%d.%m.%Y"), day.isoformat(), day.strftime("%d.%m.%y"),
             str((day - date(1899, 12, 30)).days), day.strftime("%d.%m.%Y 14:30"))
    return rng.choice(forms)


def german_excel_export(
    n: int, *, seed: int = 0, today: date = date(2026, 1, 15)
) -> tuple[bytes, ExpectedCounts]:
    """A deterministic cp1252 ';' export of ``n`` data rows (region DE) and its answer."""
    rng = random.Random(seed)
    specs: list[LeadRowSpec] = []
    kinds: list[str] = []  # "blank", one of _BROKEN, or "valid"/"duplicate" (+ "-stale")
    originals: list[tuple[LeadRowSpec, str]] = []  # valid rows a duplicate may repeat
    for i in range(n):
        if rng.random() < 0.01:
            specs.append(LeadRowSpec())  # a blank row: dropped, but it takes a line
            kinds.append("blank")
        roll = rng.random()
        if roll < 0.05 and originals:
            original, kind = rng.choice(originals)
            specs.append(replace(
                original, email=f" {original.email.upper()} ",
                phone=original.phone.replace("0151 ", "+49 151 "), notes="", company="",
            ))
            kinds.append(kind.replace("valid", "duplicate"))
            continue
        spec, stale = _lead_row(i, today, rng)
        if roll < 0.09:
            kind = rng.choice(_BROKEN)
            specs.append(_broken(spec, kind))
            kinds.append(kind)
            continue
        kind = "valid-stale" if stale else "valid"
        specs.append(spec)
        kinds.append(kind)
        originals.append((spec, kind))
    numbers = expected_rows(specs)
    rows = list(zip(numbers, specs, kinds, strict=True))
    good = [(spec, kind) for _, spec, kind in rows if kind.startswith(("valid", "duplicate"))]
    counts = ExpectedCounts(
        total_rows=n,
        error_rows=tuple(r for r, _, kind in rows if r is not None and kind in _BROKEN),
        distinct_keys=len(originals),
        duplicate_rows=tuple(r for r, _, kind in rows
                             if r is not None and kind.startswith("duplicate")),
        leads=len(good),
        without_status=sum(1 for spec, _ in good if not spec.status),
        without_last_contact=sum(1 for spec, _ in good if not spec.last_contact),
        stale=sum(1 for _, kind in good if kind.endswith("-stale")),
        needs_action=sum(1 for spec, kind in originals if not spec.status or (
            spec.status not in _CLOSED
            and (not spec.last_contact or kind.endswith("-stale")))),
        leads_without_last_contact=sum(1 for spec, _ in originals if not spec.last_contact),
    )
    return excel_export(specs), counts


def _lead_row(i: int, today: date, rng: random.Random) -> tuple[LeadRowSpec, bool]:
    """Row ``i``'s lead, and whether its last contact is stale. E-mail and phone carry
    ``i``, so no two rows share either unless one repeats the other on purpose."""
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    contact = rng.random()  # e-mail and phone, e-mail only, or phone only
    email = f"{first}.{last}{i}@beispiel.de".lower().translate(_ASCII)
    stale = rng.random() < 0.2
    age = rng.randint(200, 800) if stale else rng.randint(0, 25)
    last_contact = "" if rng.random() < 0.15 else _written(today - timedelta(days=age), rng)
    spec = LeadRowSpec(
        name=f"{first} {last}",
        email=email if contact < 0.85 else "",
        phone=f"0151 {20_000_000 + i:08d}" if contact >= 0.7 else "",
        status="" if rng.random() < 0.2 else rng.choice(_STATUSES),
        channel=rng.choice(_CHANNELS),
        notes=rng.choice(("", "", "Rückruf erbeten;\nbitte nachmittags", 'sagt "später"')),
        last_contact=last_contact,
        disg_type=rng.choice(_DISG),
        company=rng.choice(_COMPANIES),
    )
    return spec, stale and bool(last_contact)


def _broken(spec: LeadRowSpec, kind: str) -> LeadRowSpec:
    if kind == "surplus":
        return replace(spec, surplus=("überzählig", "x"))
    if kind == "bad_email":
        return replace(spec, email=spec.email.replace("@", "@@") or "kein@@mail.de")
    if kind == "bad_date":
        return replace(spec, last_contact="31.02.2024")
    if kind == "no_name":
        return replace(spec, name="")
    return replace(spec, email="", phone="")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m catalog_service.testing.lead_files ROWS [SEED] > export.csv``: a
    German Excel export to try ``POST /import/leads`` with; its expected answer goes to
    stderr."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not 1 <= len(args) <= 2 or not all(a.isdigit() for a in args):
        print("usage: python -m catalog_service.testing.lead_files ROWS [SEED]",
              file=sys.stderr)
        return 2
    body, expected = german_excel_export(int(args[0]), seed=int(args[1]) if args[1:] else 0,
                                         today=date.today())
    sys.stdout.buffer.write(body)
    print(f"expected: total_rows {expected.total_rows}, imported_count {expected.leads}, "
          f"needs_action_count {expected.needs_action}, without_last_contact_count "
          f"{expected.leads_without_last_contact}, rows with errors "
          f"{len(expected.error_rows)}, distinct leads {expected.distinct_keys}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
