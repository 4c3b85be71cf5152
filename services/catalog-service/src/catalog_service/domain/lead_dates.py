"""Dates of lead files as people and spreadsheets write them.

German users write day first (20.11.2024, 20.11.24, 20/11/2024), systems write ISO
(2024-11-20, 2024-11-20T14:30:00Z), and Excel, when a date column was formatted as a
number, writes its serial day count (45616 = 2024-11-20). A time of day is accepted and
dropped: a last contact is a day. Month-first (US) spelling is not accepted: 03/04/2024
would silently become the wrong day for every German file.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

ACCEPTED_FORMS = "DD.MM.YYYY, DD.MM.YY, DD/MM/YYYY, YYYY-MM-DD (each optionally with a time) " \
    "or an Excel date number"
EARLIEST = date(1900, 1, 1)
# Excel's day 0: 1899-12-30 (its serials count 1900 as a leap year; from March 1900 on,
# counting from the 30th of December makes them right).
_EXCEL_EPOCH = date(1899, 12, 30)
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?: ?(?:Z|[+-]\d{2}:?\d{2}))?)?"
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME)
_DAY_FIRST = re.compile(r"(\d{1,2})([./])(\d{1,2})\2(\d{4}|\d{2})\.?" + _TIME)
# Five digits: 10000 is 1927-05-18, 99999 is in 2173. A shorter number ("2024") is a
# year or a typo, not a date Excel wrote.
_SERIAL = re.compile(r"(\d{5})(?:[.,]\d+)?")


def parse_date(text: str, *, today: date) -> date | None:
    """The date ``text`` names, None for an empty cell; ValueError naming it otherwise."""
    cell = text.strip()
    if not cell:
        return None
    try:
        day = _parsed(cell, today)
    except ValueError:
        day = None  # 31.02.2024: the right shape, but no such day
    if day is None:
        raise ValueError(f"{cell!r} is not a date; write it as {ACCEPTED_FORMS}")
    if day < EARLIEST:
        raise ValueError(f"{cell!r} is before 1900")
    if day > today + timedelta(days=1):
        # One day of slack: the file was exported in a time zone ahead of ours.
        raise ValueError(f"{cell!r} is in the future (today is {today.isoformat()})")
    return day


def _parsed(cell: str, today: date) -> date | None:
    if match := _ISO.fullmatch(cell):
        year, month, day = (int(g) for g in match.groups())
        return date(year, month, day)
    if match := _DAY_FIRST.fullmatch(cell):
        day_text, _, month_text, year_text = match.groups()
        year = int(year_text)
        if len(year_text) == 2:
            # 24 -> 2024, but 85 -> 1985: a two-digit year is never far in the future.
            year += 2000 if 2000 + year <= today.year + 1 else 1900
        return date(year, int(month_text), int(day_text))
    if match := _SERIAL.fullmatch(cell):
        return _EXCEL_EPOCH + timedelta(days=int(match.group(1)))
    return None
