from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ringbook import weekly_hours
from ringbook.weekly_hours import DAYS, WeeklyHours, callee_timezone

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
OFFICE = WeeklyHours.parse("mon-fri 08:00-18:00")
LUNCH_BREAK = WeeklyHours.parse("mon-fri 08:00-12:00,13:00-18:00; sat 09:00-13:00")


def local(tz: ZoneInfo, iso: str, fold: int = 0) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=tz, fold=fold)


def utc(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=UTC)


# --- parsing ---------------------------------------------------------------------------------


def test_parse_single_range() -> None:
    assert OFFICE.days == (((480, 1080),),) * 5 + ((), ())


def test_parse_multiple_clauses_and_windows() -> None:
    week = ((480, 720), (780, 1080))
    assert LUNCH_BREAK.days == (week,) * 5 + (((540, 780),), ())


def test_parse_always() -> None:
    assert WeeklyHours.parse("  ALWAYS ").days == (((0, 1440),),) * 7


def test_parse_is_case_and_whitespace_tolerant() -> None:
    spec = "  MON - Fri  08:00 - 12:00 ,13:00-18:00 ;  Sat 09:00-13:00 ; "
    assert WeeklyHours.parse(spec) == LUNCH_BREAK


def test_parse_day_lists_ranges_and_24_00() -> None:
    hours = WeeklyHours.parse("mon,wed,fri 20:00-24:00; tue-thu,sun 00:00-06:00")
    assert [bool(windows) for windows in hours.days] == [True] * 5 + [False, True]
    assert hours.days[0] == ((1200, 1440),)
    assert hours.days[2] == ((0, 360), (1200, 1440))
    assert hours.days[5] == ()


def test_clauses_for_the_same_day_merge() -> None:
    hours = WeeklyHours.parse("mon 13:00-18:00; mon 08:00-12:00")
    assert hours.days[0] == ((480, 720), (780, 1080))


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("", "spec is empty"),
        ("   ", "spec is empty"),
        ("mon-fri", "must be DAYS then WINDOWS"),
        ("08:00-18:00", "must be DAYS then WINDOWS"),
        ("mon fri 08:00-18:00", "found 3 space-separated part(s)"),
        ("funday 08:00-18:00", "unknown day 'funday'"),
        ("monday 08:00-18:00", "unknown day 'monday'"),
        ("fri-mon 08:00-18:00", "day range 'fri-mon' wraps around the week; write 'mon,fri-sun'"),
        ("mon,,tue 08:00-18:00", "missing day name in 'mon,,tue'"),
        ("mon-,tue 08:00-18:00", "missing day name in 'mon-,tue'"),
        ("mon- 08:00-18:00", "must be DAYS then WINDOWS"),
        ("mon,mon 08:00-09:00", "day 'mon' is listed twice"),
        ("mon-wed,tue 08:00-09:00", "day 'tue' is listed twice"),
        ("mon 8-18", "malformed time window '8-18'"),
        ("mon 8:00-18:00", "malformed time window '8:00-18:00'"),
        ("mon 08:00", "malformed time window '08:00'"),
        ("mon 08:00-12:00,", "empty time window"),
        ("mon 18:00-08:00", "window '18:00-08:00' does not end after it starts"),
        ("mon 08:00-08:00", "window '08:00-08:00' does not end after it starts"),
        ("mon 25:00-26:00", "invalid time 25:00"),
        ("mon 08:60-09:00", "invalid time 08:60"),
        ("mon 08:00-24:30", "invalid time 24:30"),
        ("mon 24:00-24:00", "starts at 24:00"),
        ("mon 08:00-12:00,11:00-13:00", "overlapping windows on mon: 08:00-12:00 and 11:00-13:00"),
        ("mon-fri 08:00-12:00; wed 11:00-14:00", "overlapping windows on wed"),
        ("mon 08:00-12:00,08:00-12:00", "overlapping windows on mon"),
        ("always; mon 08:00-09:00", "'always' must be the whole spec"),
        ("mon 08:00-12:00;; tue 08:00-09:00", "empty clause"),
        (";", "spec is empty"),
    ],
)
def test_parse_rejects_invalid_specs_naming_the_problem(spec: str, problem: str) -> None:
    with pytest.raises(ValueError, match=r"invalid business hours|spec is empty") as info:
        WeeklyHours.parse(spec)
    assert problem in str(info.value)


@pytest.mark.parametrize(
    "days",
    [
        (((480, 1080),),) * 6,
        (((1080, 480),),) + ((),) * 6,
        (((0, 1441),),) + ((),) * 6,
        (((780, 1080), (480, 720)),) + ((),) * 6,
    ],
)
def test_direct_construction_is_validated(days: tuple[tuple[tuple[int, int], ...], ...]) -> None:
    with pytest.raises(ValueError):
        WeeklyHours(days=days)


@pytest.mark.parametrize(
    ("spec", "canonical"),
    [
        ("mon-fri 08:00-18:00", "mon-fri 08:00-18:00"),
        ("MON,TUE,WED 08:00-18:00", "mon-wed 08:00-18:00"),
        (
            "mon-fri 08:00-12:00,13:00-18:00; sat 09:00-13:00",
            "mon-fri 08:00-12:00,13:00-18:00; sat 09:00-13:00",
        ),
        (
            "sat 10:00-11:00; mon 08:00-09:00; wed 08:00-09:00",
            "mon,wed 08:00-09:00; sat 10:00-11:00",
        ),
        ("fri-sun 18:00-24:00; mon 18:00-24:00", "mon,fri-sun 18:00-24:00"),
        ("mon-sun 00:00-24:00", "always"),
        ("always", "always"),
    ],
)
def test_str_gives_canonical_spec(spec: str, canonical: str) -> None:
    hours = WeeklyHours.parse(spec)
    assert str(hours) == canonical
    assert WeeklyHours.parse(str(hours)) == hours


# --- is_open ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("iso", "expected"),
    [
        ("2026-06-10 08:00:00", True),  # Wednesday
        ("2026-06-10 07:59:59.999999", False),
        ("2026-06-10 07:59:59", False),
        ("2026-06-10 17:59:59", True),
        ("2026-06-10 18:00:00", False),
        ("2026-06-10 00:00:00", False),
        ("2026-06-13 12:00:00", False),  # Saturday
        ("2026-06-14 12:00:00", False),  # Sunday
    ],
)
def test_is_open_boundaries(iso: str, expected: bool) -> None:
    assert OFFICE.is_open(local(BERLIN, iso), BERLIN) is expected


@pytest.mark.parametrize(
    ("instant", "berlin", "new_york", "tokyo"),
    [
        ("2026-06-10 06:30", True, False, True),  # 08:30 / 02:30 / 15:30
        ("2026-06-10 20:00", False, True, False),  # 22:00 / 16:00 / Thu 05:00
        ("2026-06-14 23:30", False, False, True),  # Mon 01:30 / Sun 19:30 / Mon 08:30
    ],
)
def test_is_open_depends_on_callee_zone(
    instant: str, berlin: bool, new_york: bool, tokyo: bool
) -> None:
    at = utc(instant)
    answers = tuple(OFFICE.is_open(at, tz) for tz in (BERLIN, NEW_YORK, TOKYO))
    assert answers == (berlin, new_york, tokyo)


def test_is_open_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        OFFICE.is_open(datetime(2026, 6, 10, 12), BERLIN)


def test_is_open_uses_the_zone_argument_not_the_instants_own_zone() -> None:
    at = local(TOKYO, "2026-06-10 15:30")  # 08:30 in Berlin, 02:30 in New York
    assert OFFICE.is_open(at, BERLIN)
    assert not OFFICE.is_open(at, NEW_YORK)


# --- next_opening ----------------------------------------------------------------------------


def test_next_opening_of_an_open_instant_is_that_instant_in_utc() -> None:
    at = local(BERLIN, "2026-06-10 10:15:30.5")
    opening = OFFICE.next_opening(at, BERLIN)
    assert opening == at
    assert opening.tzinfo is UTC


@pytest.mark.parametrize(
    ("hours", "iso", "expected"),
    [
        (OFFICE, "2026-06-12 18:00", "2026-06-15 08:00"),  # Friday close -> Monday
        (OFFICE, "2026-06-13 12:00", "2026-06-15 08:00"),  # Saturday -> Monday
        (OFFICE, "2026-06-10 06:00", "2026-06-10 08:00"),  # early morning -> same day
        (OFFICE, "2026-06-10 21:00", "2026-06-11 08:00"),  # evening -> next day
        (LUNCH_BREAK, "2026-06-10 12:30", "2026-06-10 13:00"),  # lunch break
        (LUNCH_BREAK, "2026-06-12 18:00", "2026-06-13 09:00"),  # Friday -> Saturday
        (LUNCH_BREAK, "2026-06-13 13:00", "2026-06-15 08:00"),  # Saturday close -> Monday
    ],
)
def test_next_opening(hours: WeeklyHours, iso: str, expected: str) -> None:
    opening = hours.next_opening(local(BERLIN, iso), BERLIN)
    assert opening.tzinfo is UTC
    assert opening == local(BERLIN, expected)


def test_next_opening_after_spring_forward_uses_summer_offset() -> None:
    opening = OFFICE.next_opening(local(BERLIN, "2026-03-28 12:00"), BERLIN)
    assert opening == utc("2026-03-30 06:00")
    assert opening.astimezone(BERLIN).isoformat() == "2026-03-30T08:00:00+02:00"


def test_next_opening_after_fall_back_uses_winter_offset() -> None:
    opening = OFFICE.next_opening(local(BERLIN, "2026-10-24 12:00"), BERLIN)
    assert opening == utc("2026-10-26 07:00")
    assert opening.astimezone(BERLIN).isoformat() == "2026-10-26T08:00:00+01:00"


def test_window_starting_in_the_spring_forward_gap_opens_when_the_gap_ends() -> None:
    hours = WeeklyHours.parse("sun 02:30-04:00")
    opening = hours.next_opening(local(BERLIN, "2026-03-29 00:00"), BERLIN)
    assert opening == utc("2026-03-29 01:00")
    assert opening.astimezone(BERLIN).isoformat() == "2026-03-29T03:00:00+02:00"
    assert not hours.is_open(opening - timedelta(microseconds=1), BERLIN)


def test_window_entirely_inside_the_gap_is_skipped_that_week() -> None:
    hours = WeeklyHours.parse("sun 02:00-02:45")
    opening = hours.next_opening(local(BERLIN, "2026-03-28 12:00"), BERLIN)
    assert opening.astimezone(BERLIN).isoformat() == "2026-04-05T02:00:00+02:00"


def test_window_in_the_repeated_fall_back_hour_opens_at_its_first_occurrence() -> None:
    hours = WeeklyHours.parse("sun 02:30-02:45")
    opening = hours.next_opening(local(BERLIN, "2026-10-25 00:00"), BERLIN)
    assert opening.astimezone(BERLIN).isoformat() == "2026-10-25T02:30:00+02:00"
    # Past the first occurrence, the wall clock shows 02:30 once more an hour later.
    after_first = local(BERLIN, "2026-10-25 02:50", fold=0)
    second = hours.next_opening(after_first, BERLIN)
    assert second.astimezone(BERLIN).isoformat() == "2026-10-25T02:30:00+01:00"


def test_fall_back_can_jump_the_wall_clock_back_into_a_window() -> None:
    hours = WeeklyHours.parse("sun 01:00-02:30")
    # 02:40 CEST is after the window; at 03:00 CEST the clock falls back to 02:00 CET, inside it.
    opening = hours.next_opening(local(BERLIN, "2026-10-25 02:40", fold=0), BERLIN)
    assert opening == utc("2026-10-25 01:00")
    assert opening.astimezone(BERLIN).isoformat() == "2026-10-25T02:00:00+01:00"


def test_half_hour_dst_shift_on_lord_howe() -> None:
    hours = WeeklyHours.parse("sun 02:10-03:00")
    opening = hours.next_opening(local(LORD_HOWE, "2026-10-03 12:00"), LORD_HOWE)
    assert opening.astimezone(LORD_HOWE).isoformat() == "2026-10-04T02:30:00+11:00"


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from([BERLIN, LORD_HOWE, ZoneInfo("America/New_York"), ZoneInfo("UTC")]),
    at=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31),
                    timezones=st.just(UTC)),
)
def test_remembered_offset_changes_are_exactly_a_fresh_scan(zone: ZoneInfo, at: datetime) -> None:
    """The scan remembered per zone and hour answers as a scan from the instant itself."""
    horizon = at + timedelta(days=8)
    fresh = [c for c in weekly_hours._scan_offset_changes(at, horizon, zone) if c <= horizon]
    assert list(weekly_hours._offset_changes(at, horizon, zone)) == fresh


def test_a_search_crossing_a_change_late_in_an_hour_still_sees_it() -> None:
    # Berlin springs forward at 01:00 UTC on 2026-03-29: a search starting at 01:00:30 UTC
    # eight days before has that change in the last minute of its horizon.
    at = utc("2026-03-21 01:00:30")
    changes = list(weekly_hours._offset_changes(at, at + timedelta(days=8), BERLIN))
    assert changes == [utc("2026-03-29 01:00")]


def test_next_opening_without_any_window_raises_instead_of_looping() -> None:
    with pytest.raises(ValueError, match="no open window"):
        WeeklyHours(days=((),) * 7).next_opening(utc("2026-06-10 12:00"), BERLIN)


def test_next_opening_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        OFFICE.next_opening(datetime(2026, 6, 10, 12), BERLIN)


# --- callee_timezone -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "zone"),
    [
        ("+49305550100", "Europe/Berlin"),
        ("+81312345678", "Asia/Tokyo"),
        ("+12125550100", "America/New_York"),
        ("+80012345678", "Europe/Lisbon"),  # international freephone: Etc/Unknown
        ("not a number", "Europe/Lisbon"),
    ],
)
def test_callee_timezone(number: str, zone: str) -> None:
    assert callee_timezone(number, fallback="Europe/Lisbon") == ZoneInfo(zone)


# --- properties ------------------------------------------------------------------------------

PROPERTY_ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "UTC",
    "America/Sao_Paulo",
]
MIN_INSTANT = datetime(2020, 1, 1)
MAX_INSTANT = datetime(2035, 12, 31, 23, 59, 59)

# Quarter hours make windows coincide with DST switches (02:00, 02:30, 03:00) often.
minute_marks = st.one_of(st.integers(0, 96).map(lambda q: q * 15), st.integers(0, 1440))


@st.composite
def specs(draw: st.DrawFn) -> str:
    clauses: list[str] = []
    for name in DAYS:
        marks = sorted(draw(st.sets(minute_marks, max_size=6)))
        windows = [f"{_hhmm(s)}-{_hhmm(e)}" for s, e in zip(marks[::2], marks[1::2], strict=False)]
        if windows:
            clauses.append(f"{name} {','.join(windows)}")
    if not clauses:
        clauses.append(f"{draw(st.sampled_from(DAYS))} 08:00-18:00")
    return "; ".join(draw(st.permutations(clauses)))


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@cache
def _offset_changes(zone: str, year: int) -> list[datetime]:
    tz, changes = ZoneInfo(zone), list[datetime]()
    at = datetime(year, 1, 1, tzinfo=UTC)
    while at.year == year:
        if (at + timedelta(hours=1)).astimezone(tz).utcoffset() != at.astimezone(tz).utcoffset():
            changes.append(at)
        at += timedelta(hours=1)
    return changes


@st.composite
def zone_and_instant(draw: st.DrawFn) -> tuple[ZoneInfo, datetime]:
    zone = draw(st.sampled_from(PROPERTY_ZONES))
    changes = _offset_changes(zone, draw(st.integers(2020, 2035)))
    near_switch = draw(st.booleans())
    if changes and near_switch:
        # Near a DST switch, where wall-clock arithmetic goes wrong.
        shift = draw(st.integers(-3 * 86_400_000_000, 3 * 86_400_000_000))
        return ZoneInfo(zone), draw(st.sampled_from(changes)) + timedelta(microseconds=shift)
    instant = draw(st.datetimes(MIN_INSTANT, MAX_INSTANT, timezones=st.just(UTC)))
    return ZoneInfo(zone), instant


def _boundaries(hours: WeeklyHours, tz: ZoneInfo, lo: datetime, hi: datetime) -> list[datetime]:
    """Every real instant whose wall-clock time is a window start, between lo and hi."""
    found: list[datetime] = []
    day = lo.astimezone(tz).date() - timedelta(days=1)
    while day <= hi.astimezone(tz).date() + timedelta(days=1):
        for start, _ in hours.days[day.weekday()]:
            wall = datetime.combine(day, time(start // 60, start % 60))
            for fold in (0, 1):
                instant = wall.replace(tzinfo=tz, fold=fold)
                if instant.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall:
                    found.append(instant)
        day += timedelta(days=1)
    return [b for b in found if lo < b < hi]


@settings(max_examples=400, deadline=None)
@given(spec=specs(), zone_instant=zone_and_instant())
def test_next_opening_is_the_first_open_instant(
    spec: str, zone_instant: tuple[ZoneInfo, datetime]
) -> None:
    tz, t = zone_instant
    hours = WeeklyHours.parse(spec)
    n = hours.next_opening(t, tz)
    assert n.tzinfo is UTC
    assert n >= t
    assert hours.is_open(n, tz)
    assert hours.is_open(t, tz) == (n == t)
    gap = n - t
    probes = [t + gap * i / 51 for i in range(1, 51)]
    probes += _boundaries(hours, tz, t, n)
    probes += [n - timedelta(microseconds=1), n - timedelta(seconds=1)]
    for probe in probes:
        if t < probe < n:
            assert not hours.is_open(probe, tz), probe


@given(spec=specs())
def test_str_round_trips(spec: str) -> None:
    hours = WeeklyHours.parse(spec)
    assert WeeklyHours.parse(str(hours)) == hours
    assert str(WeeklyHours.parse(str(hours))) == str(hours)


def test_property_helpers_cover_dst_switches() -> None:
    assert len(_offset_changes("Europe/Berlin", 2026)) == 2
    assert _offset_changes("Asia/Kolkata", 2026) == []
    assert date(2026, 3, 29) in {c.date() for c in _offset_changes("Europe/Berlin", 2026)}
