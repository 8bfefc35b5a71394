"""The business-hours clock, table-driven: weekends, holidays, time zones, overnight, DST.

Every row is checked twice: by the one-value Python arithmetic and by the
set-based SQL that starts real clocks, so the two can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pyarrow as pa
import pytest

from leadline.contract.schema import BusinessHours, Weekday
from leadline.sla.calendar import Calendar, due_sql, segments_table
from leadline.store.duckdb import DuckDBEngine

WEEK: list[Weekday] = ["mon", "tue", "wed", "thu", "fri"]
OFFICE = Calendar.from_hours(BusinessHours(days=WEEK, start="09:00", end="17:00"))
WHIT_MONDAY = Calendar.from_hours(
    BusinessHours(days=WEEK, start="09:00", end="17:00"),
    [date(2024, 6, 10)],
)
NIGHTS = Calendar.from_hours(BusinessHours(days=WEEK, start="22:00", end="06:00"))
LONG_DAY = Calendar.from_hours(BusinessHours(days=WEEK, start="09:00", end="18:00"))


@dataclass(frozen=True)
class Row:
    title: str
    calendar: Calendar
    zone: str | None
    start: datetime
    budget: str
    due: datetime


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# 2024-06-03 is a Monday.  Times are UTC.
ROWS = [
    Row("inside the day", OFFICE, None, at("2024-06-03 10:00"), "5m", at("2024-06-03 10:05")),
    Row("runs over night", OFFICE, None, at("2024-06-03 16:58"), "5m", at("2024-06-04 09:03")),
    Row(
        "friday evening → monday",
        OFFICE,
        None,
        at("2024-06-07 16:58"),
        "5m",
        at("2024-06-10 09:03"),
    ),
    Row(
        "saturday waits for monday",
        OFFICE,
        None,
        at("2024-06-08 12:00"),
        "1h",
        at("2024-06-10 10:00"),
    ),
    Row("sunday night", OFFICE, None, at("2024-06-09 23:59"), "30s", at("2024-06-10 09:00:30")),
    Row("before opening", OFFICE, None, at("2024-06-03 07:00"), "2h", at("2024-06-03 11:00")),
    Row("at closing time", OFFICE, None, at("2024-06-03 17:00"), "5m", at("2024-06-04 09:05")),
    Row(
        "a day is a working day", OFFICE, None, at("2024-06-03 10:00"), "1d", at("2024-06-04 10:00")
    ),
    Row(
        "a day from before opening ends at closing",
        OFFICE,
        None,
        at("2024-06-03 08:00"),
        "1d",
        at("2024-06-03 17:00"),
    ),
    Row(
        "two days over a weekend",
        OFFICE,
        None,
        at("2024-06-06 15:00"),
        "2d",
        at("2024-06-10 15:00"),
    ),
    Row(
        "a holiday is skipped",
        WHIT_MONDAY,
        None,
        at("2024-06-07 16:30"),
        "1h",
        at("2024-06-11 09:30"),
    ),
    Row(
        "a day over a holiday",
        WHIT_MONDAY,
        None,
        at("2024-06-07 12:00"),
        "1d",
        at("2024-06-11 12:00"),
    ),
    Row(
        "new york morning (EDT)",
        OFFICE,
        "America/New_York",
        at("2024-06-03 12:00"),
        "5m",
        at("2024-06-03 13:05"),
    ),
    Row(
        "berlin friday close → monday (CEST)",
        OFFICE,
        "Europe/Berlin",
        at("2024-06-07 15:00"),
        "30m",
        at("2024-06-10 07:30"),
    ),
    Row(
        "sydney day ends, next morning",
        OFFICE,
        "Australia/Sydney",
        at("2024-06-03 00:00"),
        "8h",
        at("2024-06-04 00:00"),
    ),
    Row(
        "kolkata half-hour offset",
        OFFICE,
        "Asia/Kolkata",
        at("2024-06-03 03:00"),
        "1h",
        at("2024-06-03 04:30"),
    ),
    Row(
        "new york over the spring DST change",
        OFFICE,
        "America/New_York",
        at("2024-03-08 21:30"),
        "1h",
        at("2024-03-11 13:30"),
    ),
    Row(
        "london over the autumn DST change",
        OFFICE,
        "Europe/London",
        at("2024-10-25 15:30"),
        "2h",
        at("2024-10-28 10:30"),
    ),
    Row("overnight shift", NIGHTS, None, at("2024-06-03 23:00"), "2h", at("2024-06-04 01:00")),
    Row(
        "overnight shift ends, next starts",
        NIGHTS,
        None,
        at("2024-06-04 05:30"),
        "1h",
        at("2024-06-04 22:30"),
    ),
    Row(
        "friday's shift runs into saturday",
        NIGHTS,
        None,
        at("2024-06-08 03:00"),
        "1h",
        at("2024-06-08 04:00"),
    ),
    Row(
        "after friday's shift → monday night",
        NIGHTS,
        None,
        at("2024-06-08 07:00"),
        "1h",
        at("2024-06-10 23:00"),
    ),
    Row(
        "a night shift is one working day",
        NIGHTS,
        None,
        at("2024-06-03 23:00"),
        "1d",
        at("2024-06-04 23:00"),
    ),
    Row("a 9-hour day", LONG_DAY, None, at("2024-06-03 16:00"), "1d", at("2024-06-04 16:00")),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.title for r in ROWS])
def test_due_in_python(row: Row) -> None:
    seconds = row.calendar.budget_seconds(row.budget)
    assert row.calendar.add(row.zone, row.start, seconds) == row.due
    assert row.calendar.between(row.zone, row.start, row.due) == pytest.approx(seconds)


def test_due_in_sql_matches_every_row(engine: DuckDBEngine) -> None:
    by_calendar: dict[Calendar, list[tuple[int, Row]]] = {}
    for i, row in enumerate(ROWS):
        by_calendar.setdefault(row.calendar, []).append((i, row))
    got: dict[int, datetime] = {}
    for calendar, rows in by_calendar.items():
        clocks = pa.table(
            {
                "key": [i for i, _ in rows],
                "zone": [calendar.zone_of(r.zone) for _, r in rows],
                "started_at": pa.array([r.start for _, r in rows], pa.timestamp("us")),
                "budget_s": [calendar.budget_seconds(r.budget) for _, r in rows],
            }
        )
        starts = [r.start for _, r in rows]
        segments = segments_table(
            calendar,
            [r.zone for _, r in rows],
            min(starts),
            max(starts),
            max(calendar.budget_seconds(r.budget) for _, r in rows),
        )
        engine.register_arrow("_t_clocks", clocks)
        engine.register_arrow("_t_segments", segments)
        got.update(dict(engine.fetch(due_sql("_t_clocks", "_t_segments"))))
        engine.unregister("_t_clocks")
        engine.unregister("_t_segments")
    assert {ROWS[i].title: due for i, due in got.items()} == {r.title: r.due for r in ROWS}


@pytest.mark.parametrize(
    ("zone", "when", "working"),
    [
        (None, "2024-06-03 09:00", True),
        (None, "2024-06-03 17:00", False),
        (None, "2024-06-08 12:00", False),
        ("America/New_York", "2024-06-03 12:59", False),
        ("America/New_York", "2024-06-03 13:00", True),
        ("Asia/Tokyo", "2024-06-03 14:00", False),
    ],
)
def test_who_is_at_work(zone: str | None, when: str, working: bool) -> None:
    assert OFFICE.is_working(zone, at(when)) is working


def test_overnight_shift_counts_as_work_after_midnight() -> None:
    assert NIGHTS.is_working(None, at("2024-06-04 02:00"))
    assert not NIGHTS.is_working(None, at("2024-06-04 12:00"))


def test_business_time_between_two_moments_skips_nights_and_weekends() -> None:
    assert OFFICE.between(None, at("2024-06-07 16:00"), at("2024-06-10 10:00")) == 2 * 3600
    assert OFFICE.between(None, at("2024-06-10 10:00"), at("2024-06-07 16:00")) == -2 * 3600


def test_durations_in_working_time() -> None:
    assert OFFICE.budget_seconds("90s") == 90
    assert OFFICE.budget_seconds("5m") == 300
    assert OFFICE.budget_seconds("1.5h") == 5400
    assert OFFICE.budget_seconds("1d") == 8 * 3600
    assert NIGHTS.day_minutes == 8 * 60
