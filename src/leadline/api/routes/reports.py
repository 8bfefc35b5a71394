"""``/api/v1/reports``: the closed-loop reports over HTTP (JSON, or CSV for spreadsheets).

Who may read what: marketing and admin read every report (marketing owns
reporting); sales reads the two reports about its own side of the agreement,
``sla`` and ``reps``. Each report lists its roles in ``GET /api/v1/reports``.
"""

from __future__ import annotations

import csv
import io
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from leadline.analytics.query import FieldProblem, ReportInputError
from leadline.api.deps import get_ll, require
from leadline.api.keys import ApiKey, authorize
from leadline.api.problems import AUTH_RESPONSES
from leadline.app import Leadline

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], responses=AUTH_RESPONSES)

# Query parameters that are report input, and those that only shape the response.
INPUT = (
    "from",
    "to",
    "as_of",
    "channel",
    "campaign",
    "source",
    "grade",
    "rep",
    "product",
    "by",
    "model",
    "outcome",
    "run",
)
TRANSPORT = ("format", "table")


class OptionInfo(BaseModel):
    name: str
    default: str
    description: str
    choices: list[str] | None = None


class ReportInfo(BaseModel):
    name: str
    title: str
    description: str
    window: str = Field(description="What the from/to window selects for this report.")
    options: list[OptionInfo]
    tables: list[str]
    roles: list[str] = Field(description="Roles that may read it.")


class ReportDocument(BaseModel):
    report: str
    title: str
    filters: dict[str, Any] = Field(description="The question asked, as understood.")
    summary: dict[str, Any] = Field(description="Headline figures.")
    tables: dict[str, list[dict[str, Any]]] = Field(description="Named tables of rows.")


@router.get("", summary="The reports, what they take and who may read them")
def list_reports(
    ll: Leadline = Depends(get_ll), key: ApiKey = Depends(require("marketing", "sales"))
) -> list[ReportInfo]:
    return [
        ReportInfo(
            name=r.name,
            title=r.title,
            description=r.description,
            window=r.window,
            options=[
                OptionInfo(
                    name=o.name,
                    default=o.default,
                    description=o.description,
                    choices=list(o.choices) if o.choices else None,
                )
                for o in r.options
            ],
            tables=[t.name for t in r.tables],
            roles=["admin", *r.roles],
        )
        for r in ll.analytics.reports().values()
    ]


@router.get(
    "/{name}",
    summary="Run a report: funnel, channels, attribution, velocity, reasons, sla, cohorts, "
    "content, scoring, reps, deals",
    response_model=ReportDocument,
    responses={200: {"content": {"text/csv": {}}}},
)
def get_report(
    name: str,
    request: Request,
    start: str | None = Query(None, alias="from", description="Window start (ISO, inclusive)."),
    to: str | None = Query(None, description="Window end (a date means the whole day)."),
    as_of: str | None = Query(None, description="Outcomes known by this time (default: now)."),
    channel: str | None = Query(None, description="Only this lead channel."),
    campaign: str | None = Query(None, description="Only this campaign id."),
    source: str | None = Query(None, description="Only this lead source."),
    grade: str | None = Query(None, description="Only this fit grade, A–D."),
    rep: str | None = Query(None, description="Only this rep (id, name or e-mail)."),
    product: str | None = Query(None, description="Only deals of this product."),
    by: str | None = Query(None, description="Grouping, for reports that take one."),
    model: str | None = Query(None, description="attribution: first|last|linear|u_shaped|all."),
    outcome: str | None = Query(None, description="content, scoring: converted|won."),
    run: str | None = Query(None, description="scoring: a score run id, or latest."),
    format: Literal["json", "csv"] = Query("json", description="json, or csv of one table."),
    table: str | None = Query(None, description="csv: which table (default: the first)."),
    ll: Leadline = Depends(get_ll),
    key: ApiKey = Depends(require("marketing", "sales")),
) -> Any:
    report = ll.analytics.describe(name)
    authorize(key, report.roles)
    unknown = [k for k in request.query_params if k not in (*INPUT, *TRANSPORT)]
    if unknown:
        raise ReportInputError([FieldProblem(k, "unknown query parameter") for k in unknown])
    raw = {
        "from": start,
        "to": to,
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
    query = ll.analytics.query(name, raw)
    document = ll.analytics.report(name, query).to_dict()
    if table is not None and table not in document["tables"]:
        raise ReportInputError(
            [FieldProblem("table", f"report {name} has tables: {', '.join(document['tables'])}")]
        )
    if format == "csv":
        return Response(
            _csv(document["tables"][table or next(iter(document["tables"]))]),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'inline; filename="{name}.csv"'},
        )
    return JSONResponse(document)


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = list(rows[0]) if rows else []
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return out.getvalue()
