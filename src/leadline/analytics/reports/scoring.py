"""``scoring``: does the contract's score find the leads that turn into revenue?

Three checks a revenue team can read without a statistician:

* deciles: leads ranked by score in ten equal groups; each group's conversion
  rate and lift over the average (a good score has a steep, falling curve), the
  cumulative share of all conversions the top groups capture, and ROC AUC;
* won deals that passed through MQL: if many wins never were MQLs, the
  contract is blind to how customers really buy;
* fit grade × outcome: does grade A convert better than D?

The score is the one in a score run (the latest finished by the as-of time,
or ``run``). For an honest check, score as of a date before the outcomes
(``leadline score --as-of ...``): a score taken after a deal closed has seen
the activity that came with the deal.
"""

from __future__ import annotations

from itertools import pairwise

from leadline.analytics.query import FieldProblem, ReportInputError
from leadline.analytics.registry import (
    Column,
    Option,
    Report,
    ReportContext,
    ReportResult,
    Table,
)
from leadline.analytics.reports.content import OUTCOME_OPTION
from leadline.analytics.scope import (
    LATEST_RUN_SQL,
    LEAD_DEALS_SQL,
    OUTCOMES,
    PROGRESS_SQL,
    lead_condition,
    ratio,
)


def compute(ctx: ReportContext) -> ReportResult:
    q = ctx.query
    outcome = OUTCOMES[ctx.option("outcome")]
    run = ctx.option("run")
    if run == "latest":
        run_sql = LATEST_RUN_SQL
    elif run.isdigit():
        run_sql = str(int(run))
    else:
        raise ReportInputError([FieldProblem("run", "use 'latest' or a score run id")])
    # snapshots, not every lead, drive the joins (a run scored each lead once); the
    # per-lead rows are kept in a scratch table because three questions read them
    scored_sql = f"""WITH progress AS ({PROGRESS_SQL})
            SELECT sn.lead_id, sn.score, sn.grade, sn.qualifies_mql,
                   {outcome} AS converted,
                   coalesce(p.best_rank >= 1, false) AS reached_mql,
                   coalesce(p.best_rank = 5, false) AS won,
                   p.mql_at IS NOT NULL AND p.mql_at <= p.won_at AS won_via_mql
            FROM score_snapshots AS sn
            LEFT JOIN progress AS p ON p.lead_id = sn.lead_id
            LEFT JOIN (SELECT lead_id, true AS flagged_converted FROM leads WHERE converted)
                AS s ON s.lead_id = sn.lead_id
            WHERE sn.run_id = {run_sql}
              AND {lead_condition(q, ctx.engine, "sn.lead_id", window="created")}"""
    with ctx.scratch(scored_sql) as scratch:
        return _compute(ctx, scratch, run_sql)


def _compute(ctx: ReportContext, scratch: str, run_sql: str) -> ReportResult:
    q = ctx.query
    base = f"""WITH scored AS (SELECT * FROM {scratch}),
        overall AS (SELECT count(*) AS n, count(*) FILTER (WHERE converted) AS pos FROM scored)"""
    deciles = ctx.fetch(
        f"""{base},
        ranked AS (
            SELECT *, ntile(10) OVER (ORDER BY score DESC, lead_id) AS decile FROM scored
        ),
        per AS (
            SELECT decile, count(*) AS leads, min(score) AS min_score, max(score) AS max_score,
                   avg(score) AS mean_score, count(*) FILTER (WHERE converted) AS converted
            FROM ranked GROUP BY decile
        )
        SELECT decile, leads, round(min_score, 1) AS min_score, round(max_score, 1) AS max_score,
               round(mean_score, 1) AS mean_score, converted,
               {ratio("converted", "leads")} AS conversion_rate,
               {ratio("CAST(converted AS DOUBLE) / leads", "CAST(o.pos AS DOUBLE) / o.n", 2)}
                   AS lift,
               {ratio("sum(converted) OVER (ORDER BY decile)", "o.pos")} AS cumulative_capture,
               {
            ratio(
                "CAST(sum(converted) OVER (ORDER BY decile) AS DOUBLE) "
                "/ sum(leads) OVER (ORDER BY decile)",
                "CAST(o.pos AS DOUBLE) / o.n",
                2,
            )
        } AS cumulative_lift
        FROM per CROSS JOIN overall AS o ORDER BY decile"""
    )
    grades = ctx.fetch(
        f"""{base},
        money AS (
            SELECT sc.grade, sum(d.amount) FILTER (WHERE d.is_won) AS won_revenue
            FROM ({LEAD_DEALS_SQL}) AS d JOIN scored AS sc USING (lead_id) GROUP BY sc.grade
        )
        SELECT g.grade, count(*) AS leads,
               count(*) FILTER (WHERE reached_mql) AS mqls,
               count(*) FILTER (WHERE converted) AS converted,
               {ratio("count(*) FILTER (WHERE converted)", "count(*)")} AS conversion_rate,
               {
            ratio(
                "CAST(count(*) FILTER (WHERE converted) AS DOUBLE) / count(*)",
                "CAST(max(o.pos) AS DOUBLE) / max(o.n)",
                2,
            )
        } AS lift,
               count(*) FILTER (WHERE won) AS won,
               round(coalesce(max(m.won_revenue), 0), 2) AS won_revenue
        FROM scored AS g CROSS JOIN overall AS o LEFT JOIN money AS m USING (grade)
        GROUP BY g.grade ORDER BY g.grade"""
    )
    head = ctx.fetch(
        f"""{base},
        by_score AS (
            SELECT score, count(*) FILTER (WHERE converted) AS pos,
                   count(*) FILTER (WHERE NOT converted) AS neg
            FROM scored GROUP BY score
        ),
        ranked AS (
            -- Mann-Whitney on grouped scores: each converted lead beats the non-converted
            -- ones below its score and ties half of those at it (the ranks' AUC)
            SELECT pos, neg, coalesce(sum(neg) OVER (ORDER BY score ROWS BETWEEN UNBOUNDED
                   PRECEDING AND 1 PRECEDING), 0) AS neg_below
            FROM by_score
        ),
        won_money AS (
            SELECT sum(d.amount) FILTER (WHERE d.is_won) AS won_revenue,
                   sum(d.amount) FILTER (WHERE d.is_won AND sc.won_via_mql) AS via_mql_revenue
            FROM ({LEAD_DEALS_SQL}) AS d JOIN scored AS sc USING (lead_id)
        )
        SELECT (SELECT n FROM overall) AS leads, (SELECT pos FROM overall) AS converted,
               (SELECT sum(r.pos * (r.neg_below + r.neg / 2.0e0))
                       / nullif(CAST(max(o.pos) AS DOUBLE) * (max(o.n) - max(o.pos)), 0)
                FROM ranked AS r CROSS JOIN overall AS o) AS auc,
               (SELECT count(*) FILTER (WHERE won) FROM scored) AS won_leads,
               (SELECT count(*) FILTER (WHERE won_via_mql) FROM scored) AS won_via_mql,
               (SELECT won_revenue FROM won_money) AS won_revenue,
               (SELECT via_mql_revenue FROM won_money) AS won_revenue_via_mql,
               {run_sql} AS run_id"""
    )[0]
    rates = [d["conversion_rate"] for d in deciles if d["conversion_rate"] is not None]
    won_leads = int(head["won_leads"] or 0)
    won_revenue = float(head["won_revenue"] or 0)
    summary = {
        "run_id": head["run_id"],
        "leads": int(head["leads"] or 0),
        "converted": int(head["converted"] or 0),
        "auc": round(head["auc"], 4) if head["auc"] is not None else None,
        "top_decile_lift": deciles[0]["lift"] if deciles else None,
        "monotonic": all(a >= b for a, b in pairwise(rates)),
        "won_leads": won_leads,
        "won_via_mql": int(head["won_via_mql"] or 0),
        "won_via_mql_share": (
            round(int(head["won_via_mql"] or 0) / won_leads, 4) if won_leads else None
        ),
        "won_revenue_via_mql_share": (
            round(float(head["won_revenue_via_mql"] or 0) / won_revenue, 4) if won_revenue else None
        ),
        "outcome": ctx.option("outcome"),
    }
    return ReportResult("scoring", REPORT.title, q, summary, {"deciles": deciles, "grades": grades})


REPORT = Report(
    name="scoring",
    title="Scoring quality: lift by score decile, wins that passed MQL, grade × outcome",
    description=(
        "Ranks the period's scored leads by score into ten equal groups (decile 1 = highest "
        "scores) and compares each group's conversion with the average (lift) and with the "
        "others (calibration: a trustworthy score converts more in every higher decile). "
        "Also: the share of won deals whose lead was an MQL before it was won, and "
        "conversion by fit grade. Use a score run taken before the outcomes for an honest "
        "reading (see docs/reports.md)."
    ),
    window="leads created in the window that the score run scored",
    compute=compute,
    definitions=(
        "The score judged is the one stored by a score run: the latest finished by the "
        "as-of time, or `run`. A score taken after the outcome has seen the activity that "
        "came with the deal; for an honest reading run `leadline score --as-of DATE` for a "
        "date before the outcomes and pass that run.",
        "AUC is computed in SQL from score ranks (ties share their average rank), the same "
        "as scikit-learn's `roc_auc_score`.",
    ),
    options=(
        OUTCOME_OPTION,
        Option("run", "latest", "score run id, or latest (finished by the as-of time)"),
    ),
    tables=(
        Table(
            "deciles",
            "Ten rows, highest scores first (the lift curve).",
            (
                Column("decile", "count", "1 = the top tenth by score"),
                Column("leads", "count", "leads in the decile"),
                Column("min_score", "number", "lowest score in it"),
                Column("max_score", "number", "highest score in it"),
                Column("mean_score", "number", "mean score"),
                Column("converted", "count", "leads that converted (see `outcome`)"),
                Column("conversion_rate", "rate", "converted / leads"),
                Column("lift", "ratio", "conversion_rate / the overall rate"),
                Column(
                    "cumulative_capture",
                    "rate",
                    "share of all conversions found in deciles 1..this one",
                ),
                Column("cumulative_lift", "ratio", "conversion rate of deciles 1..this / overall"),
            ),
        ),
        Table(
            "grades",
            "Fit grade × outcome.",
            (
                Column("grade", "text", "fit grade A–D in the score run"),
                Column("leads", "count", "leads with that grade"),
                Column("mqls", "count", "of them reached MQL or later"),
                Column("converted", "count", "of them converted"),
                Column("conversion_rate", "rate", "converted / leads"),
                Column("lift", "ratio", "conversion_rate / the overall rate"),
                Column("won", "count", "of them won"),
                Column("won_revenue", "money", "their won deals' amount"),
            ),
        ),
    ),
    summary=(
        Column("run_id", "count", "the score run judged"),
        Column("leads", "count", "scored leads of the period"),
        Column("converted", "count", "of them converted"),
        Column(
            "auc",
            "rate",
            "ROC AUC of score vs outcome: the chance a converted lead outscores one that did "
            "not (0.5 = coin toss)",
        ),
        Column("top_decile_lift", "ratio", "lift of decile 1"),
        Column("monotonic", "flag", "conversion never rises from one decile to the next lower"),
        Column("won_leads", "count", "leads that reached won"),
        Column("won_via_mql", "count", "of them were an MQL before they were won"),
        Column("won_via_mql_share", "rate", "won_via_mql / won_leads"),
        Column("won_revenue_via_mql_share", "rate", "the same share of won revenue"),
        Column("outcome", "text", "converted or won"),
    ),
)
