"""Business time: the working week of the contract, in each rep's time zone.

An SLA of "5 minutes" means five *working* minutes: a lead that raises its
hand on Friday evening is due five minutes after Monday's start, in the time
zone of the rep who owns it, skipping the contract's holidays.

The calendar is a list of working *segments* (one per working shift, in UTC).
Everything else is arithmetic on those segments, done two ways that tests
hold to the same answers:

* in Python (:meth:`Calendar.add`, :meth:`Calendar.between`,
  :meth:`Calendar.is_working`) for one value at a time;
* in SQL (:func:`segments_table` + :func:`due_sql`) for a whole batch of
  clocks in one statement: the segments of the few time zones involved are
  generated here (reps × days, never leads) and the per-clock work is a join.

A shift whose end is earlier than its start runs overnight and belongs to the
day it starts on (a holiday cancels the shift that starts that day).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import pyarrow as pa

from leadline.contract.schema import WEEKDAYS, BusinessHours, Contract, parse_duration

Segment = tuple[datetime, datetime]
SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0}


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def _local_date(at_utc: datetime, zone: ZoneInfo) -> date:
    return at_utc.replace(tzinfo=UTC).astimezone(zone).date()


@dataclass(frozen=True)
class Calendar:
    """Working days, hours and holidays; times in and out are naive UTC."""

    days: frozenset[int]
    start: int  # minutes after local midnight
    end: int  # minutes after local midnight (1440 = midnight at the end of the day)
    holidays: frozenset[date]
    default_zone: str = "UTC"

    @classmethod
    def from_hours(cls, hours: BusinessHours, holidays: Iterable[date] = ()) -> Calendar:
        return cls(
            days=frozenset(WEEKDAYS.index(d) for d in hours.days),
            start=_minutes(hours.start),
            end=_minutes(hours.end),
            holidays=frozenset(holidays),
            default_zone=hours.timezone,
        )

    @classmethod
    def from_contract(cls, contract: Contract) -> Calendar:
        """The contract's calendar; Mon–Fri 09:00–17:00 UTC when it has no ``sla`` section."""
        if contract.sla is None:
            return cls.from_hours(BusinessHours())
        return cls.from_hours(contract.sla.business_hours, contract.sla.holidays)

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    @property
    def day_minutes(self) -> int:
        """Length of one working shift: what a ``d`` in a duration means."""
        return self.end - self.start + (1440 if self.overnight else 0)

    def budget_seconds(self, text: str) -> float:
        """A contract duration (``5m``, ``1h``, ``1d``) in working seconds."""
        value, unit = parse_duration(text)
        if unit == "d":
            return value * self.day_minutes * 60.0
        return value * SECONDS[unit]

    # -- segments -------------------------------------------------------------
    def zone_of(self, name: str | None) -> str:
        return name or self.default_zone

    def segments(self, zone: str | None, first: date, last: date) -> list[Segment]:
        """Working shifts that start on local dates ``first..last``, as UTC intervals."""
        tz = _zone(self.zone_of(zone))
        out: list[Segment] = []
        day = first
        while day <= last:
            if day.weekday() in self.days and day not in self.holidays:
                begin = datetime.combine(day, time()) + timedelta(minutes=self.start)
                end_day = day + timedelta(days=1) if self.overnight else day
                finish = datetime.combine(end_day, time()) + timedelta(minutes=self.end)
                seg = (_to_utc(begin, tz), _to_utc(finish, tz))
                if seg[1] > seg[0]:
                    out.append(seg)
            day += timedelta(days=1)
        return out

    def _around(self, zone: str | None, at: datetime, days_after: int) -> list[Segment]:
        tz = _zone(self.zone_of(zone))
        local = _local_date(at, tz)
        return self.segments(zone, local - timedelta(days=1), local + timedelta(days=days_after))

    def _horizon_days(self, seconds: float) -> int:
        """Calendar days that surely hold ``seconds`` of work, holidays included."""
        shifts = int(seconds // (self.day_minutes * 60)) + 2
        weeks = shifts // max(1, len(self.days)) + 1
        return weeks * 7 + len(self.holidays) + 7

    # -- one value at a time ------------------------------------------------------
    def is_working(self, zone: str | None, at: datetime) -> bool:
        return any(s <= at < e for s, e in self._around(zone, at, 1))

    def add(self, zone: str | None, start: datetime, seconds: float) -> datetime:
        """The moment ``seconds`` of working time after ``start`` have passed."""
        remaining = float(seconds)
        for seg_start, seg_end in self._around(zone, start, self._horizon_days(seconds)):
            if seg_end <= start:
                continue
            begin = max(seg_start, start)
            available = (seg_end - begin).total_seconds()
            if remaining <= available:
                return begin + timedelta(seconds=remaining)
            remaining -= available
        raise AssertionError("calendar horizon too short")  # _horizon_days guarantees room

    def between(self, zone: str | None, a: datetime, b: datetime) -> float:
        """Working seconds in ``[a, b)`` (negative when ``b`` is before ``a``)."""
        if b < a:
            return -self.between(zone, b, a)
        tz = _zone(self.zone_of(zone))
        segs = self.segments(
            zone, _local_date(a, tz) - timedelta(days=1), _local_date(b, tz) + timedelta(days=1)
        )
        return sum(
            max(0.0, (min(e, b) - max(s, a)).total_seconds()) for s, e in segs if e > a and s < b
        )


# -- the same arithmetic, set-based ------------------------------------------------

SEGMENT_SCHEMA = pa.schema(
    [
        ("zone", pa.string()),
        ("seg_start", pa.timestamp("us")),
        ("start_s", pa.float64()),
        ("end_s", pa.float64()),
        ("cum_s", pa.float64()),
    ]
)


def _epoch(at: datetime) -> float:
    return at.replace(tzinfo=UTC).timestamp()


def segments_table(
    calendar: Calendar, zones: Iterable[str | None], first: datetime, last: datetime, seconds: float
) -> pa.Table:
    """Every zone's working segments from before ``first`` until ``seconds`` of work after
    ``last``, with the working seconds that came before each (``cum_s``)."""
    cols: dict[str, list[object]] = {name: [] for name in SEGMENT_SCHEMA.names}
    for zone in sorted({calendar.zone_of(z) for z in zones}):
        tz = _zone(zone)
        segs = calendar.segments(
            zone,
            _local_date(first, tz) - timedelta(days=1),
            _local_date(last, tz) + timedelta(days=calendar._horizon_days(seconds)),
        )
        cum = 0.0
        for seg_start, seg_end in segs:
            start_s, end_s = _epoch(seg_start), _epoch(seg_end)
            for name, value in zip(
                SEGMENT_SCHEMA.names, (zone, seg_start, start_s, end_s, cum), strict=True
            ):
                cols[name].append(value)
            cum += end_s - start_s
    return pa.table(cols, schema=SEGMENT_SCHEMA)


def due_sql(clocks: str, segments: str) -> str:
    """``SELECT key, due_at`` for every row of ``clocks`` (key, zone, started_at, budget_s).

    The working position of the start is the work done before it (``pos``);
    the due moment lies in the one segment where ``pos + budget`` falls.
    """
    return f"""
    WITH pos AS (
        SELECT c.key, c.zone, c.budget_s,
               coalesce(max(g.cum_s + least(epoch(c.started_at), g.end_s) - g.start_s), 0.0)
                   AS done_s
        FROM {clocks} AS c
        LEFT JOIN {segments} AS g
          ON g.zone = c.zone AND g.start_s <= epoch(c.started_at)
        GROUP BY c.key, c.zone, c.budget_s
    )
    SELECT p.key,
           g.seg_start + (p.done_s + p.budget_s - g.cum_s) * INTERVAL '1 second' AS due_at
    FROM pos AS p
    JOIN {segments} AS g
      ON g.zone = p.zone
     AND g.cum_s < p.done_s + p.budget_s
     AND g.cum_s + (g.end_s - g.start_s) >= p.done_s + p.budget_s
    """
