"""Templates and number formatting for the dashboard.

Every figure is formatted by its column's kind from the report registry
(money, rate, days...), and every table cell also carries its raw value in a
``data-value`` attribute, so what a person reads and what a test compares
with the API come from the same number.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from leadline.analytics.registry import Report

ENV = Environment(
    loader=PackageLoader("leadline.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def fmt(value: Any, kind: str = "text") -> str:
    """A value as people read it: 1,317,600 · 19.6% · 3.19× · 12.5 d · yes."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if kind == "rate" and isinstance(value, int | float):
        return f"{value:.1%}"
    if kind == "ratio" and isinstance(value, int | float):
        return f"{value:.2f}×"
    if kind == "money" and isinstance(value, int | float):
        whole = abs(value) >= 1000 or float(value).is_integer()
        return f"{value:,.0f}" if whole else f"{value:,.2f}"
    if kind in ("days", "number") and isinstance(value, int | float):
        return f"{value:,.1f}"
    if kind == "count" and isinstance(value, int | float):
        return f"{value:,.0f}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def raw(value: Any) -> str:
    """The machine value behind a cell (what tests compare with the API's JSON)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def compact(value: Any) -> str:
    """Big money for a headline tile: 1.32M, 845k."""
    if not isinstance(value, int | float):
        return fmt(value)
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.2f}M"
    if abs(value) >= 10_000:
        return f"{value / 1_000:.0f}k"
    return f"{value:,.0f}"


def kinds_for(report: Report, table: str, rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(column, kind) for a table's actual columns.

    Grouping columns (named after ``by``) read as text; attribution's per-model
    columns (``linear_pipeline``...) are money.
    """
    declared = {c.name: c.kind for c in report.columns(table)}
    names = list(rows[0]) if rows else [n for n in declared if "<" not in n and "|" not in n]
    out = []
    for name in names:
        if name in declared:
            out.append((name, declared[name]))
        elif name.endswith(("_pipeline", "_revenue")):
            out.append((name, "money"))
        else:
            out.append((name, "text"))
    return out


def page(template: str, **context: Any) -> str:
    return ENV.get_template(template).render(**context)


ENV.filters["fmt"] = fmt
ENV.filters["raw"] = raw
ENV.filters["compact"] = compact
ENV.globals["Markup"] = Markup
