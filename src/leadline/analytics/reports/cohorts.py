"""``cohorts``: MQLs by the month they qualified × how far they have got since.

B2B deals take 3–12 months; a month's MQLs judged after four weeks look like
failures. A cohort table shows each month's MQLs maturing, and
``*_within_Nd`` columns compare cohorts at the same age.
"""

from __future__ import annotations

from leadline.analytics.registry import Column, Report, ReportContext, ReportResult, Table
from leadline.analytics.scope import LEAD_DEALS_SQL, PROGRESS_SQL, lead_scope, ratio

HORIZONS = (90, 180, 365)
STAGES = (("sal", 2), ("sql", 3), ("opportunity", 4), ("won", 5))


def compute(ctx: ReportContext) -> ReportResult:
    q = ctx.query
    window = ["p.mql_at IS NOT NULL"]
    if q.start is not None:
        window.append("p.mql_at >= $start")
    if q.end is not None:
        window.append("p.mql_at < $end")
    reached = ", ".join(
        f"count(*) FILTER (WHERE r >= {rank}) AS {stage}, "
        f"{ratio(f'count(*) FILTER (WHERE r >= {rank})', 'count(*)')} AS {stage}_share"
        for stage, rank in STAGES
    )
    within = ", ".join(
        f"count(*) FILTER (WHERE opp_at <= mql_at + INTERVAL {h} DAY) AS opportunity_within_{h}d, "
        f"count(*) FILTER (WHERE won_at <= mql_at + INTERVAL {h} DAY) AS won_within_{h}d"
        for h in HORIZONS
    )
    sql = f"""WITH scope AS ({lead_scope(q, ctx.engine, window=None)}),
        progress AS ({PROGRESS_SQL}),
        cohort AS (
            SELECT s.lead_id, date_trunc('month', p.mql_at) AS month, p.mql_at, p.opp_at,
                   p.won_at, p.best_rank AS r, p.was_rejected OR p.was_recycled AS turned_down
            FROM scope AS s JOIN progress AS p USING (lead_id)
            WHERE {" AND ".join(window)}
        ),
        money AS (
            SELECT c.month, sum(d.amount) AS pipeline,
                   sum(d.amount) FILTER (WHERE d.is_won) AS won_revenue
            FROM ({LEAD_DEALS_SQL}) AS d JOIN cohort AS c USING (lead_id)
            GROUP BY c.month
        )
        SELECT strftime(c.month, '%Y-%m') AS cohort,
               CAST(date_diff('month', c.month, CAST($as_of AS TIMESTAMP)) AS INTEGER)
                   AS months_observed,
               count(*) AS mqls, {reached},
               count(*) FILTER (WHERE turned_down) AS rejected_or_recycled,
               round(coalesce(max(m.pipeline), 0), 2) AS pipeline,
               round(coalesce(max(m.won_revenue), 0), 2) AS won_revenue,
               {within}
        FROM cohort AS c LEFT JOIN money AS m USING (month)
        GROUP BY c.month ORDER BY c.month"""
    rows = ctx.fetch(sql)
    mqls = sum(r["mqls"] for r in rows)
    summary = {
        "won_revenue": round(sum(r["won_revenue"] for r in rows), 2),
        "pipeline": round(sum(r["pipeline"] for r in rows), 2),
        "mqls": mqls,
        "won": sum(r["won"] for r in rows),
        "cohorts": len(rows),
    }
    return ReportResult("cohorts", REPORT.title, q, summary, {"cohorts": rows})


REPORT = Report(
    name="cohorts",
    title="Cohorts: each month's MQLs and the stage they eventually reached",
    description=(
        "Leads grouped by the month they first became an MQL; for each cohort, how many "
        "have reached SAL, SQL, opportunity and won by the as-of time, and how many got "
        "there within 90, 180 and 365 days of qualifying, so young and old cohorts can be "
        "compared at the same age."
    ),
    window="leads whose first MQL falls in the window",
    compute=compute,
    tables=(
        Table(
            "cohorts",
            "One row per MQL month, oldest first.",
            (
                Column("cohort", "month", "month of the first MQL"),
                Column(
                    "months_observed",
                    "count",
                    "whole months from the cohort month to the as-of time (young cohorts "
                    "have not had time to close)",
                ),
                Column("mqls", "count", "leads in the cohort"),
                *(
                    col
                    for stage, _ in STAGES
                    for col in (
                        Column(stage, "count", f"reached {stage} or later by the as-of time"),
                        Column(f"{stage}_share", "rate", f"{stage} / mqls"),
                    )
                ),
                Column("rejected_or_recycled", "count", "ever rejected or recycled by sales"),
                Column("pipeline", "money", "amount of the cohort's deals"),
                Column("won_revenue", "money", "amount of the cohort's won deals"),
                *(
                    col
                    for h in HORIZONS
                    for col in (
                        Column(
                            f"opportunity_within_{h}d",
                            "count",
                            f"first opportunity within {h} days of the MQL",
                        ),
                        Column(f"won_within_{h}d", "count", f"won within {h} days of the MQL"),
                    )
                ),
            ),
        ),
    ),
    summary=(
        Column("won_revenue", "money", "sum over cohorts"),
        Column("pipeline", "money", "sum over cohorts"),
        Column("mqls", "count", "sum over cohorts"),
        Column("won", "count", "sum over cohorts"),
        Column("cohorts", "count", "number of MQL months"),
    ),
)
