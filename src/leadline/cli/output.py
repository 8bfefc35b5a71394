"""One way to print results: ``--format table|json|csv`` for every listing.

JSON output is for scripts and is stable: listings print an array of objects,
single results print one object; timestamps are ISO-8601 in UTC, numbers are
numbers.  Tables are for people and may change.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table

# Piped or captured output (make demo in CI, a log file) has no terminal width;
# Rich would fall back to 80 columns and wrap every table, so give it room.
console = Console()
if not console.is_terminal and "COLUMNS" not in os.environ:
    console = Console(width=160)
err_console = Console(stderr=True)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(_plain(data), indent=2, sort_keys=False) + "\n")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def emit_rows(
    rows: Sequence[Mapping[str, Any]],
    fmt: Format,
    *,
    title: str | None = None,
    columns: Iterable[str] | None = None,
) -> None:
    cols = list(columns) if columns is not None else (list(rows[0]) if rows else [])
    if fmt is Format.json:
        emit_json([{c: r.get(c) for c in cols} for r in rows])
        return
    if fmt is Format.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(cols)
        for r in rows:
            writer.writerow([_plain(r.get(c)) if r.get(c) is not None else "" for c in cols])
        return
    table = Table(title=title, show_lines=False, header_style="bold")
    for c in cols:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*(_cell(r.get(c)) for c in cols))
    console.print(table)


def emit_object(data: Mapping[str, Any], fmt: Format, *, title: str | None = None) -> None:
    """A single result: JSON object, two-column CSV, or a key/value table."""
    if fmt is Format.json:
        emit_json(data)
        return
    rows = [
        {"field": k, "value": json.dumps(_plain(v)) if isinstance(v, Mapping | list) else v}
        for k, v in data.items()
    ]
    emit_rows(rows, fmt, title=title, columns=["field", "value"])
