"""``sla``: both sides of the agreement, side by side.

Sales' side is read from the SLA clocks routing starts for every assigned MQL
(``sla_clocks``: due time in business hours, when the clock stopped) and from
sales' dispositions; marketing's side compares the MQLs delivered each month
with the contract's ``sla.mql_commitment`` (volume *and* quality: the share
accepted and the share that became SQLs).

Speed to lead is shown in wall-clock minutes (what the lead experienced);
"within SLA" uses the clock's business-hours due time.
"""

from __future__ import annotations

from typing import Any

from leadline.analytics.registry import Column, Report, ReportContext, ReportResult, Table
from leadline.analytics.scope import PROGRESS_SQL, lead_condition, ratio

# Speed-to-lead buckets: (label, upper bound in minutes).
BUCKETS: tuple[tuple[str, float | None], ...] = (
    ("< 5 min", 5),
    ("5–30 min", 30),
    ("30 min–2 h", 120),
    ("2–8 h", 480),
    ("8–24 h", 1440),
    ("1–3 days", 4320),
    ("> 3 days", None),
)
NOT_TOUCHED = "not touched"
# Each MQL's first verdict from sales after it first became an MQL (over ``progress``).
# (A lead's first row in one sort by lead, time and id: cheaper than partitioning by lead.)
FIRST_VERDICT_SQL = """SELECT lead_id, action, decided_at FROM (
        SELECT d.lead_id, d.action, d.decided_at,
               lag(d.lead_id) OVER (ORDER BY d.lead_id, d.decided_at, d.disposition_id)
                   AS before
        FROM dispositions AS d JOIN progress AS fp ON fp.lead_id = d.lead_id
        WHERE d.decided_at >= fp.mql_at AND d.decided_at <= $as_of
    ) AS fv WHERE before IS NULL OR before <> lead_id"""
MINUTES = "(epoch(stopped) - epoch(started_at)) / 60.0"
HOURS = "(epoch({b}) - epoch({a})) / 3600.0"


def _window(column: str, ctx: ReportContext) -> str:
    parts = [f"{column} <= $as_of"]
    if ctx.query.start is not None:
        parts.append(f"{column} >= $start")
    if ctx.query.end is not None:
        parts.append(f"{column} < $end")
    return " AND ".join(parts)


def compute(ctx: ReportContext) -> ReportResult:
    """Two scratch tables (the window's clocks, and its MQLs with sales' first verdict)
    feed the six tables, instead of six passes over the histories."""
    q = ctx.query
    clocks = f"""SELECT c.clock_id, c.lead_id, c.kind, c.rep_id,
               coalesce(c.priority, '(none)') AS priority, c.started_at, c.due_at,
               CASE WHEN c.stopped_at <= $as_of THEN c.stopped_at END AS stopped,
               coalesce(CASE WHEN c.stopped_at <= $as_of THEN c.stopped_at END, $as_of)
                   > c.due_at AS breached
        FROM sla_clocks AS c
        WHERE {_window("c.started_at", ctx)} AND {lead_condition(q, ctx.engine, "c.lead_id")}"""
    mqls = f"""WITH progress AS ({PROGRESS_SQL})
        SELECT p.lead_id, p.mql_at, p.best_rank, v.action AS verdict, v.decided_at
        FROM progress AS p
        LEFT JOIN ({FIRST_VERDICT_SQL}) AS v ON v.lead_id = p.lead_id
        WHERE p.mql_at IS NOT NULL AND {_window("p.mql_at", ctx)}
          AND {lead_condition(q, ctx.engine, "p.lead_id")}"""
    with ctx.scratch(clocks) as clock_rows, ctx.scratch(mqls) as mql_rows:
        return _compute(ctx, clock_rows, mql_rows)


def _compute(ctx: ReportContext, clock_rows: str, mql_rows: str) -> ReportResult:
    q = ctx.query
    bucket_case = (
        "CASE WHEN stopped IS NULL THEN '"
        + NOT_TOUCHED
        + "' "
        + " ".join(f"WHEN {MINUTES} < {bound} THEN '{label}'" for label, bound in BUCKETS if bound)
        + f" ELSE '{BUCKETS[-1][0]}' END"
    )
    ctes = f"""WITH clocks AS (SELECT * FROM {clock_rows}),
        speed AS (SELECT *, {bucket_case} AS bucket FROM clocks WHERE kind = 'speed_to_lead')"""

    def speed_stats(group: str) -> str:
        return f"""SELECT {group} AS key, count(*) AS mqls,
               count(stopped) AS touched,
               count(*) FILTER (WHERE NOT breached) AS within_sla,
               {ratio("count(*) FILTER (WHERE NOT breached)", "count(*)")} AS within_sla_rate,
               count(*) FILTER (WHERE breached) AS breaches,
               round(quantile_cont({MINUTES}, 0.5), 1) AS median_minutes,
               round(quantile_cont({MINUTES}, 0.9), 1) AS p90_minutes
        FROM speed GROUP BY 1"""

    by_priority = ctx.fetch(f"{ctes} {speed_stats('priority')} ORDER BY key")
    by_rep = ctx.fetch(
        f"""{ctes},
        per_rep AS ({speed_stats("coalesce(rep_id, '(unassigned)')")}),
        accept AS (
            SELECT coalesce(rep_id, '(unassigned)') AS key, count(*) AS accept_clocks,
                   count(*) FILTER (WHERE breached) AS accept_breaches
            FROM clocks WHERE kind = 'accept' GROUP BY 1
        )
        SELECT key AS rep, r.name, coalesce(p.mqls, 0) AS mqls, coalesce(p.touched, 0) AS touched,
               p.within_sla_rate, coalesce(p.breaches, 0) AS speed_breaches,
               p.median_minutes, p.p90_minutes,
               coalesce(a.accept_clocks, 0) AS accept_clocks,
               coalesce(a.accept_breaches, 0) AS accept_breaches
        FROM per_rep AS p FULL JOIN accept AS a USING (key)
        LEFT JOIN reps AS r ON r.rep_id = key
        ORDER BY coalesce(p.breaches, 0) + coalesce(a.accept_breaches, 0) DESC,
                 coalesce(p.mqls, 0) DESC, key"""
    )
    distribution = {
        r["bucket"]: r["mqls"]
        for r in ctx.fetch(f"{ctes} SELECT bucket, count(*) AS mqls FROM speed GROUP BY 1")
    }
    buckets = [
        {"bucket": label, "mqls": int(distribution.get(label, 0))}
        for label in (*(b for b, _ in BUCKETS), NOT_TOUCHED)
    ]
    breaches = ctx.fetch(
        f"""{ctes}
        SELECT kind, count(*) AS clocks, count(*) FILTER (WHERE breached) AS breaches,
               {ratio("count(*) FILTER (WHERE breached)", "count(*)")} AS breach_rate,
               count(*) FILTER (WHERE breached AND stopped IS NULL) AS open_breaches
        FROM clocks GROUP BY kind ORDER BY kind"""
    )
    latency = ctx.fetch(
        f"""WITH first_verdict AS (
            SELECT lead_id, verdict AS action, decided_at AS at_, mql_at
            FROM {mql_rows} WHERE verdict IS NOT NULL
        )
        SELECT action, count(*) AS n,
               round(quantile_cont({HOURS.format(a="mql_at", b="at_")}, 0.5), 1) AS median_hours,
               round(quantile_cont({HOURS.format(a="mql_at", b="at_")}, 0.9), 1) AS p90_hours
        FROM first_verdict GROUP BY action ORDER BY action"""
    )
    marketing = _marketing(ctx, mql_rows)
    speed_total = sum(r["mqls"] for r in by_priority)
    within = sum(r["within_sla"] for r in by_priority)
    commitment = _commitment(ctx)
    summary: dict[str, Any] = {
        "speed_clocks": speed_total,
        "within_sla_rate": round(within / speed_total, 4) if speed_total else None,
        "speed_breaches": sum(r["breaches"] for r in by_priority),
        "accept_breaches": sum(r["breaches"] for r in breaches if r["kind"] == "accept"),
        "median_accept_hours": next(
            (r["median_hours"] for r in latency if r["action"] == "accept"), None
        ),
        "mqls": sum(r["mqls"] for r in marketing),
        "commitment_per_month": commitment[0],
        "min_sql_rate": commitment[1],
        "months_volume_met": sum(1 for r in marketing if r["volume_met"]),
        "months_quality_met": sum(1 for r in marketing if r["quality_met"]),
        "months": len(marketing),
    }
    return ReportResult(
        "sla",
        REPORT.title,
        q,
        summary,
        {
            "speed_by_priority": [{"priority": r.pop("key"), **r} for r in by_priority],
            "speed_distribution": buckets,
            "by_rep": by_rep,
            "breaches": breaches,
            "accept_latency": latency,
            "marketing": marketing,
        },
    )


def _commitment(ctx: ReportContext) -> tuple[int | None, float | None]:
    sla = ctx.contract.sla if ctx.contract is not None else None
    promise = getattr(sla, "mql_commitment", None)
    if promise is None:
        return None, None
    return int(promise.per_month), float(promise.min_sql_rate)


def _marketing(ctx: ReportContext, mql_rows: str) -> list[dict[str, Any]]:
    per_month, min_sql_rate = _commitment(ctx)
    rows = ctx.fetch(
        f"""WITH mqls AS (SELECT * FROM {mql_rows})
        SELECT strftime(date_trunc('month', mql_at), '%Y-%m') AS month, count(*) AS mqls,
               count(verdict) AS dispositioned,
               count(*) FILTER (WHERE verdict = 'accept') AS accepted,
               {ratio("count(*) FILTER (WHERE verdict = 'accept')", "count(verdict)")}
                   AS acceptance_rate,
               count(*) FILTER (WHERE best_rank >= 3) AS sqls,
               {ratio("count(*) FILTER (WHERE best_rank >= 3)", "count(*)")} AS sql_rate
        FROM mqls GROUP BY 1 ORDER BY 1"""
    )
    for row in rows:
        row["commitment"] = per_month
        row["delivery_rate"] = round(row["mqls"] / per_month, 4) if per_month else None
        row["volume_met"] = row["mqls"] >= per_month if per_month is not None else None
        row["min_sql_rate"] = min_sql_rate
        row["quality_met"] = (
            (row["sql_rate"] or 0) >= min_sql_rate if min_sql_rate is not None else None
        )
    return rows


REPORT = Report(
    name="sla",
    title=(
        "SLA: speed to lead, breaches and acceptance (sales) · MQL volume and quality (marketing)"
    ),
    description=(
        "Sales' side: for every MQL routing assigned, how fast the rep first touched it "
        "(distribution, by priority and by rep), breaches of the speed-to-lead and "
        "accept/reject clocks, and how long sales took to accept or reject. Marketing's "
        "side: MQLs delivered per month against the contract's monthly commitment, and "
        "their acceptance and SQL rates against the committed quality."
    ),
    window=(
        "sales: clocks started (MQLs assigned) in the window; marketing and latency: leads "
        "whose first MQL falls in the window"
    ),
    compute=compute,
    roles=("marketing", "sales"),
    definitions=(
        "Speed to lead is measured in wall-clock minutes (what the lead experienced); "
        "'within SLA' uses each clock's due time, computed in business hours of the rep's "
        "time zone when routing started the clock.",
        "A clock is breached when it stopped after its due time, or had not stopped by the "
        "as-of time and its due time had passed.",
        "Marketing's months use each lead's first MQL; acceptance is the lead's first "
        "verdict after it became an MQL; the commitment is the contract's "
        "`sla.mql_commitment` (empty when the contract has none).",
    ),
    tables=(
        Table(
            "speed_by_priority",
            "Speed to lead per priority (the tier that sets the SLA).",
            (
                Column("priority", "text", "priority at assignment (A1 … D4)"),
                Column("mqls", "count", "speed-to-lead clocks started (assigned MQLs)"),
                Column("touched", "count", "first touch recorded by the as-of time"),
                Column("within_sla", "count", "touched before the clock's business-hours due time"),
                Column("within_sla_rate", "rate", "within_sla / mqls"),
                Column("breaches", "count", "touched late, or still untouched past due"),
                Column("median_minutes", "number", "median wall-clock minutes to first touch"),
                Column("p90_minutes", "number", "90th percentile of the same"),
            ),
        ),
        Table(
            "speed_distribution",
            "How many MQLs were first touched within each time bucket (a histogram).",
            (
                Column("bucket", "text", "wall-clock time to first touch; 'not touched' yet"),
                Column("mqls", "count", "MQLs in the bucket"),
            ),
        ),
        Table(
            "by_rep",
            "Per rep, most breaches first.",
            (
                Column("rep", "text", "rep id"),
                Column("name", "text", "rep name"),
                Column("mqls", "count", "speed-to-lead clocks"),
                Column("touched", "count", "touched by the as-of time"),
                Column("within_sla_rate", "rate", "touched within the SLA / clocks"),
                Column("speed_breaches", "count", "speed-to-lead breaches"),
                Column("median_minutes", "number", "median minutes to first touch"),
                Column("p90_minutes", "number", "90th percentile"),
                Column("accept_clocks", "count", "accept/reject clocks"),
                Column("accept_breaches", "count", "accept/reject decisions late or missing"),
            ),
        ),
        Table(
            "breaches",
            "Breaches per clock kind.",
            (
                Column("kind", "text", "speed_to_lead or accept"),
                Column("clocks", "count", "clocks started"),
                Column("breaches", "count", "clocks that ran past their due time"),
                Column("breach_rate", "rate", "breaches / clocks"),
                Column("open_breaches", "count", "breached and still not stopped"),
            ),
        ),
        Table(
            "accept_latency",
            "Time from MQL to sales' first verdict, per verdict (from dispositions).",
            (
                Column("action", "text", "accept, reject or recycle"),
                Column("n", "count", "MQLs whose first verdict was this"),
                Column("median_hours", "number", "median wall-clock hours from MQL"),
                Column("p90_hours", "number", "90th percentile"),
            ),
        ),
        Table(
            "marketing",
            "Marketing's commitment, month by month (leads by the month of their first MQL).",
            (
                Column("month", "month", "month of the first MQL"),
                Column("mqls", "count", "MQLs delivered"),
                Column("dispositioned", "count", "of them given a verdict by sales"),
                Column("accepted", "count", "first verdict accept"),
                Column("acceptance_rate", "rate", "accepted / dispositioned"),
                Column("sqls", "count", "reached SQL or later"),
                Column("sql_rate", "rate", "sqls / mqls"),
                Column("commitment", "count", "sla.mql_commitment.per_month (empty: none)"),
                Column("delivery_rate", "rate", "mqls / commitment"),
                Column("volume_met", "flag", "mqls ≥ commitment"),
                Column("min_sql_rate", "rate", "sla.mql_commitment.min_sql_rate"),
                Column("quality_met", "flag", "sql_rate ≥ min_sql_rate"),
            ),
        ),
    ),
    summary=(
        Column("speed_clocks", "count", "speed-to-lead clocks in the window"),
        Column("within_sla_rate", "rate", "share first touched within the SLA"),
        Column("speed_breaches", "count", "speed-to-lead breaches"),
        Column("accept_breaches", "count", "accept/reject breaches"),
        Column("median_accept_hours", "number", "median hours from MQL to an accept"),
        Column("mqls", "count", "MQLs delivered"),
        Column("commitment_per_month", "count", "the contract's monthly MQL commitment"),
        Column("min_sql_rate", "rate", "the committed SQL rate"),
        Column("months_volume_met", "count", "months that met the volume commitment"),
        Column("months_quality_met", "count", "months that met the quality commitment"),
        Column("months", "count", "months with MQLs"),
    ),
)
