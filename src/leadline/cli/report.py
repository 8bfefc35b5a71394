"""``leadline report NAME``: the closed-loop reports, as tables, JSON or CSV.

The same registry serves ``GET /api/v1/reports/NAME`` and the dashboard, so
``--format json`` prints exactly the document the API returns.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from leadline.analytics.registry import reports
from leadline.cli.common import FormatOpt, WorkspaceOpt, open_app
from leadline.cli.output import Format, console, emit_json, emit_rows

Text = Annotated[str | None, typer.Option(show_default=False)]


def _names() -> str:
    return ", ".join(reports())


def report(
    name: Annotated[
        str | None,
        typer.Argument(
            help="Report name (omit to list them): " + _names() + ".", show_default=False
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Start of the window (ISO date or date-time, inclusive).",
            show_default=False,
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            "--to", help="End of the window (a date means the whole day).", show_default=False
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Outcomes known by this time (default: now).", show_default=False
        ),
    ] = None,
    channel: Annotated[str | None, typer.Option(help="Only this lead channel.")] = None,
    campaign: Annotated[str | None, typer.Option(help="Only this campaign id.")] = None,
    source: Annotated[str | None, typer.Option(help="Only this lead source.")] = None,
    grade: Annotated[str | None, typer.Option(help="Only this fit grade (A–D).")] = None,
    rep: Annotated[str | None, typer.Option(help="Only this rep (id, name or e-mail).")] = None,
    product: Annotated[str | None, typer.Option(help="Only deals of this product.")] = None,
    by: Annotated[str | None, typer.Option(help="Grouping, for reports that take one.")] = None,
    model: Annotated[
        str | None, typer.Option(help="attribution: first, last, linear, u_shaped or all.")
    ] = None,
    outcome: Annotated[str | None, typer.Option(help="content, scoring: converted or won.")] = None,
    run: Annotated[str | None, typer.Option(help="scoring: score run id (default latest).")] = None,
    table: Annotated[
        str | None, typer.Option(help="CSV/table: only this table of the report.")
    ] = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Closed-loop reports: funnel, channels, attribution, velocity, reasons, sla, cohorts,
    content, scoring, reps, deals. Revenue and pipeline first, MQL volume as context."""
    if name is None:
        rows = [
            {
                "report": r.name,
                "title": r.title,
                "window": r.window,
                "options": ", ".join(
                    f"{o.name} ({'|'.join(o.choices) if o.choices else 'text'}; "
                    f"default {o.default})"
                    for o in r.options
                ),
            }
            for r in reports().values()
        ]
        emit_rows(rows, fmt, title="Reports")
        return
    raw: dict[str, str | None] = {
        "from": start,
        "to": end,
        "as_of": as_of,
        "channel": channel,
        "campaign": campaign,
        "source": source,
        "grade": grade,
        "rep": rep,
        "product": product,
        "by": by,
        "model": model,
        "outcome": outcome,
        "run": run,
    }
    with open_app(workspace) as ll:
        query = ll.analytics.query(name, raw)
        result = ll.analytics.report(name, query)
    data = result.to_dict()
    if table is not None and table not in data["tables"]:
        raise typer.BadParameter(
            f"report {name} has tables: {', '.join(data['tables'])}", param_hint="--table"
        )
    if fmt is Format.json:
        emit_json(data)
        return
    if fmt is Format.csv:
        emit_rows(data["tables"][table or next(iter(data["tables"]))], fmt)
        return
    _print_table(data, table)


def _print_table(data: dict[str, Any], only: str | None) -> None:
    console.print(f"[bold]{data['title']}[/bold]", highlight=False)
    shown = {k: v for k, v in data["filters"].items() if v is not None}
    console.print("  " + "  ".join(f"{k}={v}" for k, v in shown.items()), highlight=False)
    summary = "  ".join(f"{k}: {_fmt(v)}" for k, v in data["summary"].items() if v is not None)
    if summary:
        console.print("  " + summary, highlight=False, soft_wrap=True)
    for name, rows in data["tables"].items():
        if only is None or name == only:
            emit_rows(rows, Format.table, title=name)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return str(value)


def register(app: typer.Typer) -> None:
    app.command()(report)
