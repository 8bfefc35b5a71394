"""``velocity``: how long leads and deals spend between the stages that matter.

Medians and 90th percentiles, never means alone: a few deals that take a year
would make a mean lie about the typical one.
"""

from __future__ import annotations

from leadline.analytics.registry import Column, Report, ReportContext, ReportResult, Table
from leadline.analytics.scope import PROGRESS_SQL, deal_scope, lead_condition

DAYS = "(epoch({b}) - epoch({a})) / 86400.0"

# (measure, what it measures, population): the order rows are shown in.
MEASURES: tuple[tuple[str, str], ...] = (
    ("lead_to_mql", "lead created → first MQL"),
    ("in_mql", "time in MQL (entering MQL → the next stage move)"),
    ("in_sal", "time in SAL"),
    ("in_sql", "time in SQL"),
    ("in_opportunity", "time in opportunity (→ won or lost)"),
    ("mql_to_first_touch", "first MQL → the rep's first touch (speed to lead)"),
    ("mql_to_disposition", "first MQL → sales' first accept / reject / recycle after it"),
    ("mql_to_opportunity", "first MQL → first opportunity stage"),
    ("opportunity_to_close", "deal created (engaged) → closed, won or lost"),
    ("opportunity_to_won", "deal created → closed won"),
    ("opportunity_to_lost", "deal created → closed lost"),
)


def days(a: str, b: str) -> str:
    return DAYS.format(a=a, b=b)


def compute(ctx: ReportContext) -> ReportResult:
    q = ctx.query

    def in_scope(column: str) -> str:
        return lead_condition(q, ctx.engine, column, window="created")

    sql = f"""WITH progress AS (
            SELECT * FROM ({PROGRESS_SQL}) AS ap WHERE {in_scope("ap.lead_id")}
        ),
        moves AS (
            -- each stay ends at the lead's next move: the next row in one sort by lead,
            -- time and id when it is the same lead (cheaper than partitioning by lead)
            SELECT h.lead_id, h.to_stage, h.changed_at,
                   CASE WHEN lead(h.lead_id) OVER by_lead = h.lead_id
                        THEN lead(h.changed_at) OVER by_lead END AS left_at
            FROM stage_history AS h
            WHERE h.changed_at <= $as_of AND {in_scope("h.lead_id")}
            WINDOW by_lead AS (ORDER BY h.lead_id, h.changed_at, h.transition_id)
        ),
        deals AS ({deal_scope(q, ctx.engine)}),
        durations AS (
            SELECT 'in_' || to_stage AS measure, {days("changed_at", "left_at")} AS d
            FROM moves
            WHERE to_stage IN ('mql', 'sal', 'sql', 'opportunity') AND left_at IS NOT NULL
            UNION ALL
            SELECT 'lead_to_mql', {days("l.created_at", "p.mql_at")}
            FROM progress AS p JOIN leads AS l USING (lead_id)
            WHERE p.mql_at >= l.created_at
            UNION ALL
            SELECT 'mql_to_opportunity', {days("p.mql_at", "p.opp_at")}
            FROM progress AS p
            WHERE p.opp_at >= p.mql_at
            UNION ALL
            SELECT 'mql_to_disposition', {days("p.mql_at", "min(dp.decided_at)")}
            FROM progress AS p
            JOIN dispositions AS dp ON dp.lead_id = p.lead_id AND dp.decided_at >= p.mql_at
            WHERE dp.decided_at <= $as_of
            GROUP BY p.lead_id, p.mql_at
            UNION ALL
            SELECT 'mql_to_first_touch', {days("p.mql_at", "min(ft.touched_at)")}
            FROM progress AS p
            JOIN first_touches AS ft ON ft.lead_id = p.lead_id AND ft.touched_at >= p.mql_at
            WHERE ft.touched_at <= $as_of
            GROUP BY p.lead_id, p.mql_at
            UNION ALL
            SELECT 'opportunity_to_' || outcome, {days("created_at", "closed_at")}
            FROM deals WHERE outcome IN ('won', 'lost') AND closed_at >= created_at
            UNION ALL
            SELECT 'opportunity_to_close', {days("created_at", "closed_at")}
            FROM deals WHERE outcome IN ('won', 'lost') AND closed_at >= created_at
        )
        SELECT measure, count(*) AS n,
               round(quantile_cont(d, 0.5), 2) AS median_days,
               round(quantile_cont(d, 0.9), 2) AS p90_days,
               round(avg(d), 2) AS mean_days
        FROM durations GROUP BY measure"""
    found = {r["measure"]: r for r in ctx.fetch(sql)}
    rows = []
    for measure, meaning in MEASURES:
        row = found.get(measure, {})
        rows.append(
            {
                "measure": measure,
                "meaning": meaning,
                "n": int(row.get("n") or 0),
                "median_days": row.get("median_days"),
                "p90_days": row.get("p90_days"),
                "mean_days": row.get("mean_days"),
            }
        )
    summary = {
        "first_touches": found.get("mql_to_first_touch", {}).get("n", 0),
        "median_days_to_close": found.get("opportunity_to_close", {}).get("median_days"),
        "median_days_mql_to_opportunity": found.get("mql_to_opportunity", {}).get("median_days"),
    }
    return ReportResult("velocity", REPORT.title, q, summary, {"measures": rows})


REPORT = Report(
    name="velocity",
    title="Velocity: time in each stage and between the stages that matter",
    description=(
        "Median, 90th percentile and mean in days. Times in a stage count only stays that "
        "have ended by the as-of time (a lead still in MQL is not a short stay). Speed to "
        "lead needs the rep's first touch (recorded through the API or CLI); without it the "
        "row has n = 0 and `mql_to_disposition` shows sales' first verdict instead."
    ),
    window=(
        "lead measures: leads created in the window; opportunity measures: deals created "
        "(engaged) in the window"
    ),
    compute=compute,
    tables=(
        Table(
            "measures",
            "One row per measure, in funnel order.",
            (
                Column("measure", "text", "; ".join(f"`{m}`: {t}" for m, t in MEASURES)),
                Column("meaning", "text", "the measure in words"),
                Column("n", "count", "how many durations were measured"),
                Column("median_days", "days", "median (50th percentile, interpolated)"),
                Column("p90_days", "days", "90th percentile (interpolated)"),
                Column("mean_days", "days", "mean"),
            ),
        ),
    ),
    summary=(
        Column("first_touches", "count", "MQLs with a recorded first touch"),
        Column("median_days_to_close", "days", "median of opportunity_to_close"),
        Column("median_days_mql_to_opportunity", "days", "median of mql_to_opportunity"),
    ),
)
