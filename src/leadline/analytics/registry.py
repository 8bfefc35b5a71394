"""Reports as data: one :class:`Report` per question, one implementation each.

The CLI (``leadline report``), the API (``/api/v1/reports/{name}``), the
dashboard and docs/reports.md all read :data:`REPORTS`, so a report's name,
options, columns and definitions are written once, next to its SQL.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from leadline.analytics.query import FieldProblem, ReportInputError, ReportQuery, build_query
from leadline.contract.schema import Contract
from leadline.errors import NotFound
from leadline.store.base import Engine

# How a column's values read: the dashboard formats by kind, docs name it.
KINDS = {
    "text": "text",
    "count": "whole number",
    "money": "amount in the store's currency",
    "rate": "share 0–1",
    "ratio": "ratio (lift: 1 = average; ROI: 0 = break-even)",
    "days": "days (fractional)",
    "number": "number",
    "month": "month (YYYY-MM)",
    "flag": "true/false",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    description: str


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Option:
    name: str
    default: str
    description: str
    choices: tuple[str, ...] | None = None


@dataclass
class ReportContext:
    """What a report's ``compute`` gets: the store, the question and the contract."""

    engine: Engine
    query: ReportQuery
    contract: Contract | None = None
    report: Report | None = None

    def option(self, name: str) -> str:
        if name in self.query.options:
            return self.query.options[name]
        assert self.report is not None
        return next(o.default for o in self.report.options if o.name == name)

    def fetch(self, sql: str) -> list[dict[str, Any]]:
        return self.engine.fetch_dicts(sql, self.query.params())

    @contextmanager
    def scratch(self, sql: str) -> Iterator[str]:
        """A private temporary table holding ``sql``'s rows, for a report that asks
        several questions of the same per-lead rows (dropped afterwards; temporary
        tables work on read-only stores too)."""
        name = f"_ll_report_{secrets.token_hex(6)}"
        self.engine.execute(f"CREATE TEMP TABLE {name} AS {sql}", self.query.params())
        try:
            yield name
        finally:
            self.engine.execute(f"DROP TABLE IF EXISTS {name}")


@dataclass
class ReportResult:
    """A report's answer: headline figures (``summary``) and one or more tables."""

    report: str
    title: str
    query: ReportQuery
    summary: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]]

    def table(self, name: str | None = None) -> list[dict[str, Any]]:
        return self.tables[name] if name else next(iter(self.tables.values()))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: the same document from the CLI, the API and the dashboard."""
        return {
            "report": self.report,
            "title": self.title,
            "filters": self.query.to_dict(),
            "summary": plain(self.summary),
            "tables": {k: plain(v) for k, v in self.tables.items()},
        }


Compute = Callable[[ReportContext], ReportResult]


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    description: str
    window: str
    tables: tuple[Table, ...]
    compute: Compute
    summary: tuple[Column, ...] = ()
    options: tuple[Option, ...] = ()
    # Roles besides admin that may read it (marketing reads every report).
    roles: tuple[str, ...] = ("marketing",)
    definitions: tuple[str, ...] = field(default=())

    def allowed_options(self) -> dict[str, tuple[str, ...] | None]:
        return {o.name: o.choices for o in self.options}

    def columns(self, table: str) -> tuple[Column, ...]:
        return next(t.columns for t in self.tables if t.name == table)


def plain(value: Any) -> Any:
    """Decimals become floats and times ISO text, recursively (JSON-ready)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _registry() -> dict[str, Report]:
    from leadline.analytics.reports import ALL

    return {r.name: r for r in ALL}


REPORTS: dict[str, Report] = {}


def reports() -> dict[str, Report]:
    """Every report by name, in the order the docs and the dashboard list them."""
    if not REPORTS:
        REPORTS.update(_registry())
    return REPORTS


class UnknownReport(NotFound):
    """No report by that name (HTTP 404, CLI exit 2)."""

    exit_code = 2


def get_report(name: str) -> Report:
    known = reports()
    if name not in known:
        raise UnknownReport(f"unknown report {name!r}; use one of {', '.join(known)}")
    return known[name]


def query_for(name: str, raw: Mapping[str, str | None]) -> ReportQuery:
    """Validate front-door input against the report's own options."""
    return build_query(raw, allowed_options=get_report(name).allowed_options())


def run_report(
    engine: Engine, name: str, query: ReportQuery, contract: Contract | None = None
) -> ReportResult:
    report = get_report(name)
    problems = [
        FieldProblem(k, f"this report does not take {k!r}")
        for k in query.options
        if k not in report.allowed_options()
    ]
    if problems:
        raise ReportInputError(problems)
    return report.compute(ReportContext(engine, query, contract, report))
