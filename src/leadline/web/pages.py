"""What each dashboard page shows: the reports it runs and the charts it draws.

A page builder takes the open workspace and the page's query parameters (the
same names as the API's) and returns the template's context. Builders never
touch the store: they ask ``Leadline.analytics``, exactly like the CLI and the
API, which is what makes the figures on a page equal the API's. The
benchmark (bench/reports.py) times these builders as "each dashboard page's
data query".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from leadline.analytics.registry import Report
from leadline.app import Leadline
from leadline.errors import LeadlineError
from leadline.web import charts
from leadline.web.render import compact, kinds_for

COMMON = ("from", "to", "as_of", "channel", "campaign", "source", "grade", "rep", "product")
Params = Mapping[str, str]


@dataclass
class Shown:
    """One report as a page shows it: the API's JSON document and its column kinds."""

    report: Report
    doc: dict[str, Any]

    @property
    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = self.doc["summary"]
        return summary

    def rows(self, table: str | None = None) -> list[dict[str, Any]]:
        tables: dict[str, list[dict[str, Any]]] = self.doc["tables"]
        return tables[table or next(iter(tables))]

    def columns(self, table: str | None = None) -> list[tuple[str, str]]:
        name = table or next(iter(self.doc["tables"]))
        return kinds_for(self.report, name, self.rows(name))

    @property
    def query_string(self) -> str:
        """The exact question asked, as API query parameters (``as_of`` resolved)."""
        asked = {k: v for k, v in self.doc["filters"].items() if v is not None}
        return urlencode(asked)

    def kind(self, summary_key: str) -> str:
        return next((c.kind for c in self.report.summary if c.name == summary_key), "text")


def common(params: Params) -> dict[str, str | None]:
    return {k: (params.get(k) or None) for k in COMMON}


def show(ll: Leadline, name: str, params: Params, **options: str | None) -> Shown:
    raw = {**common(params), **{k: v for k, v in options.items() if v}}
    query = ll.analytics.query(name, raw)
    return Shown(ll.analytics.describe(name), ll.analytics.report(name, query).to_dict())


def _pick(params: Params, key: str, choices: tuple[str, ...], default: str) -> str:
    value = params.get(key) or default
    return value if value in choices else default


def overview(ll: Leadline, params: Params) -> dict[str, Any]:
    funnel = show(ll, "funnel", params)
    channels = show(ll, "channels", params, by="channel")
    sla = show(ll, "sla", params)
    top = channels.rows()[:10]
    return {
        "funnel": funnel,
        "channels": channels,
        "sla": sla,
        "chart_channels": charts.bars(
            [str(r["channel"]) for r in top],
            [
                charts.Series("won revenue", [r["won_revenue"] for r in top]),
                charts.Series("pipeline", [r["pipeline"] for r in top]),
            ],
            title="Won revenue and pipeline by channel",
            fmt=compact,
        ),
        "chart_funnel": _funnel_chart(funnel),
        "chart_sla": _sla_chart(sla),
    }


def channels(ll: Leadline, params: Params) -> dict[str, Any]:
    by = _pick(params, "by", ("channel", "campaign", "source"), "channel")
    model = _pick(params, "model", ("all", "first", "last", "linear", "u_shaped"), "all")
    report = show(ll, "channels", params, by=by)
    attribution = show(
        ll, "attribution", params, model=model, by="campaign" if by == "campaign" else "channel"
    )
    # the content report reads every activity: it is shown when asked for (?content=1),
    # so the page itself stays quick on a large store
    content = show(ll, "content", params) if params.get("content") else None
    top = report.rows()[:12]
    shown_model = "u_shaped" if model == "all" else model
    credits = attribution.rows()[:12]
    key = "campaign" if by == "campaign" else "channel"
    return {
        "by": by,
        "model": model,
        "channels": report,
        "attribution": attribution,
        "content": content,
        "chart_channels": charts.bars(
            [str(r[by]) for r in top],
            [
                charts.Series("won revenue", [r["won_revenue"] for r in top]),
                charts.Series("pipeline", [r["pipeline"] for r in top]),
                charts.Series("cost", [r["cost"] for r in top]),
            ],
            title=f"Won revenue, pipeline and cost by {by}",
            fmt=compact,
        ),
        "chart_attribution": charts.bars(
            [str(r[key]) for r in credits],
            [
                charts.Series(
                    f"{shown_model} pipeline", [r[f"{shown_model}_pipeline"] for r in credits]
                ),
                charts.Series(
                    f"{shown_model} revenue", [r[f"{shown_model}_revenue"] for r in credits]
                ),
            ],
            title=f"Attributed pipeline and revenue ({shown_model})",
            fmt=compact,
        ),
    }


def funnel(ll: Leadline, params: Params) -> dict[str, Any]:
    report = show(ll, "funnel", params)
    velocity = show(ll, "velocity", params)
    cohorts = show(ll, "cohorts", params)
    rows = cohorts.rows()
    stages = ("sal", "sql", "opportunity", "won")
    return {
        "funnel": report,
        "velocity": velocity,
        "cohorts": cohorts,
        "chart_funnel": _funnel_chart(report),
        "chart_cohorts": charts.heatmap(
            [r["cohort"] for r in rows],
            [s.upper() if s != "opportunity" else "OPP" for s in stages],
            [[r[f"{s}_share"] for s in stages] for r in rows],
            title="Share of each MQL month's cohort that reached each stage",
        ),
    }


def reasons(ll: Leadline, params: Params) -> dict[str, Any]:
    by = _pick(params, "by", ("source", "channel", "campaign"), "source")
    report = show(ll, "reasons", params, by=by)
    totals: dict[tuple[str, str], int] = {}
    for row in report.rows("by_source"):
        key = (row["kind"], row["reason"])
        totals[key] = totals.get(key, 0) + int(row["events"])
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:14]
    return {
        "by": by,
        "reasons": report,
        "chart_reasons": charts.bars(
            [f"{kind}: {reason}" for (kind, reason), _ in ranked],
            [charts.Series("events", [n for _, n in ranked])],
            title="Rejection, recycle and loss reasons",
        ),
    }


def sla(ll: Leadline, params: Params) -> dict[str, Any]:
    report = show(ll, "sla", params)
    reps = show(ll, "reps", params)
    return {"sla": report, "reps": reps, "chart_sla": _sla_chart(report)}


def scoring(ll: Leadline, params: Params) -> dict[str, Any]:
    outcome = _pick(params, "outcome", ("converted", "won"), "converted")
    report = show(ll, "scoring", params, outcome=outcome)
    deciles = report.rows("deciles")
    grades = report.rows("grades")
    return {
        "outcome": outcome,
        "scoring": report,
        "chart_lift": charts.lift_curve(
            [d["decile"] for d in deciles],
            [d["lift"] for d in deciles],
            [d["cumulative_capture"] for d in deciles],
            title="Lift by score decile and cumulative capture of conversions",
        ),
        "chart_grades": charts.bars(
            [g["grade"] for g in grades],
            [charts.Series("conversion rate", [g["conversion_rate"] for g in grades])],
            title="Conversion rate by fit grade",
            fmt=lambda v: f"{v:.1%}",
        ),
    }


def leads(ll: Leadline, params: Params) -> dict[str, Any]:
    query = ll.analytics.query(None, common(params))
    size = 50
    try:
        number = max(1, int(params.get("page") or 1))
    except ValueError:
        number = 1
    listing = ll.analytics.lead_list(
        query,
        stage=params.get("stage") or None,
        search=params.get("q") or None,
        sort=params.get("sort") or "priority",
        limit=size,
        offset=(number - 1) * size,
    )
    selected = params.get("lead") or None
    panel = None
    if selected:
        row = next((r for r in listing["leads"] if r["lead_id"] == selected), None)
        if row is not None:
            parts = ll.analytics.score_parts([selected], query)[selected]
            panel = {"lead": row, "parts": parts, "chart": _parts_chart(parts)}
    return {
        "listing": listing,
        "page_number": number,
        "pages": max(1, -(-listing["total"] // size)),
        "panel": panel,
        "selected": selected,
    }


def lead(ll: Leadline, lead_id: str, params: Params) -> dict[str, Any]:
    query = ll.analytics.query(None, common(params))
    detail = ll.analytics.lead_detail(lead_id, query)
    return {
        **detail,
        "brief": _brief(
            ll, detail["lead"]["lead_id"], detail["score"]["as_of"] if detail["score"] else query.at
        ),
        "chart_parts": _parts_chart(detail["parts"]),
    }


def _brief(ll: Leadline, lead_id: str, at: datetime) -> str | None:
    """The routing handoff brief as text, as of the score shown beside it."""
    try:
        from leadline.routing.brief import build_brief

        text: str = build_brief(ll.engine, ll.compiled, lead_id, at).to_text()
        return text
    except (ImportError, LeadlineError):
        return None


def _funnel_chart(report: Shown) -> Any:
    return charts.funnel(
        [(r["stage"], int(r["reached"]), r["conversion_from_previous"]) for r in report.rows()],
        title="Funnel: leads reaching each stage",
    )


def _sla_chart(report: Shown) -> Any:
    rows = report.rows("speed_distribution")
    return charts.columns(
        [r["bucket"] for r in rows],
        [r["mqls"] for r in rows],
        title="Speed to lead: MQLs by time to first touch",
        highlight=len(rows) - 1,
    )


def _parts_chart(parts: list[dict[str, Any]]) -> Any:
    top = [p for p in parts if p["points"]][:12]
    return charts.bars(
        [f"{p['component']}: {p['rule']}" for p in top],
        [charts.Series("points", [p["points"] for p in top])],
        title="Score parts (biggest first)",
        fmt=lambda v: f"{v:+.1f}",
        width=520,
        label_width=200,
    )


BUILDERS: dict[str, Callable[[Leadline, Params], dict[str, Any]]] = {
    "overview": overview,
    "channels": channels,
    "funnel": funnel,
    "leads": leads,
    "sla": sla,
    "reasons": reasons,
    "scoring": scoring,
}


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
