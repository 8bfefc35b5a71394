"""What a report is asked: a date window, an "as of" time, a segment and report options.

The same :class:`ReportQuery` is built by the CLI (``--from --to --channel ...``),
the API (query parameters) and the dashboard (its filter form), so all three
hand the report exactly the same question and get exactly the same answer.

Dates: ``start`` is inclusive, ``end`` exclusive. A plain date given as the
end of a window ("to 2026-03-31") means the whole of that day, so it becomes
the next midnight. Everything is naive UTC, like the store.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from leadline.errors import LeadlineError

GRADES = ("A", "B", "C", "D")
# Lead attributes a report may group by (``by=attributes.lead_origin``): a plain key.
ATTRIBUTE_KEY = re.compile(r"^attributes\.([a-z0-9_]{1,64})$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class FieldProblem:
    """One bad input: which field, and what is wrong with it (API: a 422 entry)."""

    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """The API's error entry: ``path`` is where in the request (``query.grade``)."""
        return {"path": f"query.{self.field}", "message": self.message, "type": "bad_value"}


class ReportInputError(LeadlineError):
    """A report was asked with a bad name, filter or option (CLI exit 2, HTTP 422)."""

    exit_code = 2
    http_status = 422

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "ReportInputError",
            "message": str(self),
            "errors": [p.to_dict() for p in self.problems],
        }


@dataclass(frozen=True)
class Segment:
    """Which leads (or deals) a report looks at; every set field narrows it.

    ``rep`` matches a rep id, name or e-mail; ``grade`` is the fit grade in
    the latest score run at the report's as-of time.
    """

    channel: str | None = None
    campaign: str | None = None
    source: str | None = None
    grade: str | None = None
    rep: str | None = None
    product: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))

    @property
    def lead_filters(self) -> bool:
        """True when a filter needs a lead (deals without a lead cannot match it)."""
        return any((self.channel, self.campaign, self.source, self.grade))

    @property
    def cost_attributable(self) -> bool:
        """Campaign costs can be split by channel and campaign, not by anything else."""
        return not any((self.source, self.grade, self.rep, self.product))


SEGMENT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Segment))


@dataclass(frozen=True)
class ReportQuery:
    start: datetime | None = None
    end: datetime | None = None
    as_of: datetime | None = None
    segment: Segment = field(default_factory=Segment)
    options: Mapping[str, str] = field(default_factory=dict)

    @property
    def at(self) -> datetime:
        """The time outcomes are known by (default: now)."""
        return self.as_of or datetime.now(UTC).replace(tzinfo=None, microsecond=0)

    def with_options(self, **options: str) -> ReportQuery:
        return replace(self, options={**self.options, **options})

    def params(self) -> dict[str, Any]:
        """Named SQL parameters; engines bind only the ones a statement mentions."""
        seg = self.segment
        return {
            "as_of": self.at,
            "start": self.start,
            "end": self.end,
            "channel": seg.channel,
            "campaign": seg.campaign,
            "source": seg.source,
            "grade": seg.grade,
            "rep": seg.rep,
            "product": seg.product,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "as_of": self.at.isoformat(),
            **self.segment.to_dict(),
            **dict(self.options),
        }


def parse_moment(text: str, *, end: bool = False) -> datetime:
    """An ISO date or date-time; a plain date as the end of a window means the whole day."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = date.fromisoformat(value)
            moment = datetime(day.year, day.month, day.day)
            return moment + timedelta(days=1) if end else moment
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError) as err:
        raise ValueError(
            f"{text!r} is not an ISO date or date-time (e.g. 2026-03-31 or 2026-03-31T18:00)"
        ) from err
    return parsed


def build_query(
    raw: Mapping[str, str | None],
    *,
    allowed_options: Mapping[str, tuple[str, ...] | None] | None = None,
) -> ReportQuery:
    """Turn front-door input (strings) into a query, collecting every problem first.

    ``raw`` keys: ``from``, ``to``, ``as_of``, the segment fields and report
    options. ``allowed_options`` maps an option name to its choices (``None``:
    free text checked by the report); an option the report does not take is
    an error, so a typo never silently changes nothing.
    """
    problems: list[FieldProblem] = []
    for key, text in raw.items():
        if text is not None and (len(str(text)) > 200 or CONTROL.search(str(text))):
            problems.append(FieldProblem(key, "at most 200 printable characters"))
    if problems:
        raise ReportInputError(problems)
    moments: dict[str, datetime | None] = {"from": None, "to": None, "as_of": None}
    for key in moments:
        text = raw.get(key)
        if text is None or not str(text).strip():
            continue
        try:
            moments[key] = parse_moment(str(text), end=key == "to")
        except ValueError as err:
            problems.append(FieldProblem(key, str(err)))
    start, end, as_of = moments["from"], moments["to"], moments["as_of"]
    if start and end and end <= start:
        problems.append(FieldProblem("to", "the end of the window must be after its start"))
    seg: dict[str, str | None] = {}
    for name in SEGMENT_FIELDS:
        text = raw.get(name)
        seg[name] = str(text).strip() if text is not None and str(text).strip() else None
    if seg["grade"] is not None:
        seg["grade"] = seg["grade"].upper()
        if seg["grade"] not in GRADES:
            problems.append(FieldProblem("grade", f"use one of {', '.join(GRADES)}"))
    allowed = dict(allowed_options or {})
    options: dict[str, str] = {}
    known = {"from", "to", "as_of", *SEGMENT_FIELDS}
    for key, text in raw.items():
        if key in known or text is None or not str(text).strip():
            continue
        value = str(text).strip()
        if key not in allowed:
            takes = ", ".join(sorted(allowed)) or "no options"
            problems.append(
                FieldProblem(key, f"this report does not take {key!r} (it takes: {takes})")
            )
            continue
        choices = allowed[key]
        if choices is not None and value not in choices and not _attribute_choice(value, choices):
            problems.append(FieldProblem(key, f"{value!r} is not one of {', '.join(choices)}"))
            continue
        options[key] = value
    if problems:
        raise ReportInputError(problems)
    return ReportQuery(start, end, as_of, Segment(**seg), options)


def _attribute_choice(value: str, choices: tuple[str, ...]) -> bool:
    """``attributes.KEY`` is accepted where a report lists ``attributes.*``."""
    return "attributes.*" in choices and ATTRIBUTE_KEY.match(value) is not None
