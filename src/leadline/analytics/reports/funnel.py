"""``funnel``: how far the leads of a period got, and where the loop breaks.

It leads with the two shares nobody else shows: leads that never became an
MQL, and MQLs that never became pipeline.
"""

from __future__ import annotations

from leadline.analytics.registry import Column, Report, ReportContext, ReportResult, Table
from leadline.analytics.scope import FUNNEL, LEAD_DEALS_SQL, PROGRESS_SQL, lead_scope


def compute(ctx: ReportContext) -> ReportResult:
    reached = ", ".join(
        f"count(*) FILTER (WHERE r >= {i}) AS reached_{stage}" for i, stage in enumerate(FUNNEL)
    )
    sql = f"""WITH scope AS ({lead_scope(ctx.query, ctx.engine)}),
        progress AS ({PROGRESS_SQL}),
        per_lead AS (
            SELECT s.lead_id, coalesce(p.best_rank, 0) AS r, p.mql_at IS NOT NULL AS was_mql
            FROM scope AS s LEFT JOIN progress AS p USING (lead_id)
        ),
        money AS (
            SELECT count(*) AS opportunities,
                   coalesce(sum(d.amount), 0) AS pipeline,
                   count(*) FILTER (WHERE d.is_won) AS won_deals,
                   coalesce(sum(d.amount) FILTER (WHERE d.is_won), 0) AS won_revenue
            FROM ({LEAD_DEALS_SQL}) AS d JOIN scope USING (lead_id)
        )
        SELECT {reached},
            count(*) FILTER (WHERE was_mql) AS mqls,
            count(*) FILTER (WHERE NOT was_mql) AS never_mql,
            count(*) FILTER (WHERE was_mql AND r < 4) AS mql_never_pipeline,
            max(m.opportunities) AS opportunities, max(m.pipeline) AS pipeline,
            max(m.won_deals) AS won_deals, max(m.won_revenue) AS won_revenue
        FROM per_lead CROSS JOIN money AS m"""
    row = ctx.fetch(sql)[0]
    leads = int(row["reached_lead"])
    stages = []
    previous: int | None = None
    for stage in FUNNEL:
        count = int(row[f"reached_{stage}"])
        stages.append(
            {
                "stage": stage,
                "reached": count,
                "conversion_from_previous": round(count / previous, 4) if previous else None,
                "share_of_leads": round(count / leads, 4) if leads else None,
            }
        )
        previous = count
    mqls = int(row["mqls"])
    summary = {
        "won_revenue": float(row["won_revenue"] or 0),
        "pipeline": float(row["pipeline"] or 0),
        "won_deals": int(row["won_deals"] or 0),
        "opportunities": int(row["opportunities"] or 0),
        "leads": leads,
        "mqls": mqls,
        "never_mql": int(row["never_mql"]),
        "never_mql_share": round(int(row["never_mql"]) / leads, 4) if leads else None,
        "mql_never_pipeline": int(row["mql_never_pipeline"]),
        "mql_never_pipeline_share": (
            round(int(row["mql_never_pipeline"]) / mqls, 4) if mqls else None
        ),
    }
    return ReportResult("funnel", REPORT.title, ctx.query, summary, {"stages": stages})


REPORT = Report(
    name="funnel",
    title="Funnel: lead → MQL → SAL → SQL → opportunity → won",
    description=(
        "How many of the period's leads reached each stage by the as-of time, the "
        "conversion from each stage to the next, and the two leaks: leads that never "
        "became an MQL, and MQLs that never became pipeline."
    ),
    window="leads created in the window",
    compute=compute,
    tables=(
        Table(
            "stages",
            "One row per funnel stage, in order.",
            (
                Column("stage", "text", "lead, mql, sal, sql, opportunity, won"),
                Column(
                    "reached",
                    "count",
                    "leads that reached this stage or any later one (a deal opened for a lead "
                    "that skipped MQL still counts as having passed it); never increases",
                ),
                Column(
                    "conversion_from_previous",
                    "rate",
                    "reached / reached at the previous stage",
                ),
                Column("share_of_leads", "rate", "reached / leads"),
            ),
        ),
    ),
    summary=(
        Column("won_revenue", "money", "amount of the leads' deals won by the as-of time"),
        Column("pipeline", "money", "amount of every deal opened for these leads"),
        Column("won_deals", "count", "deals won"),
        Column("opportunities", "count", "deals opened"),
        Column("leads", "count", "leads in the period (not merged duplicates)"),
        Column("mqls", "count", "leads that actually became an MQL (a stage move to mql)"),
        Column("never_mql", "count", "leads with no move to mql by the as-of time"),
        Column("never_mql_share", "rate", "never_mql / leads"),
        Column(
            "mql_never_pipeline",
            "count",
            "MQLs that have not reached opportunity (or won/lost) by the as-of time",
        ),
        Column("mql_never_pipeline_share", "rate", "mql_never_pipeline / mqls"),
    ),
)
