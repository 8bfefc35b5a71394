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

from leadline.analytics.deciles import (
    ScoreGroup,
    auc,
    decile_rows,
    ratio,
    sql_round,
    straddling,
)
from leadline.analytics.deciles import deciles as find_deciles
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
)


def compute(ctx: ReportContext) -> ReportResult:
    q = ctx.query
    run = ctx.option("run")
    if run == "latest":
        run_sql = LATEST_RUN_SQL
    elif run.isdigit():
        run_sql = str(int(run))
    else:
        raise ReportInputError([FieldProblem("run", "use 'latest' or a score run id")])
    # One pass over the run's snapshots (a run scored each lead once) answers every
    # question by score and by grade at once (grouping sets); the deciles come from
    # the score groups (see leadline.analytics.deciles), not from sorting every lead.
    rows = ctx.fetch(
        f"""WITH {_scored_sql(ctx, run_sql, money=True)},
        grouped AS (
            SELECT GROUPING(sc.grade) AS by_score, sc.score, sc.grade, count(*) AS leads,
                   count(*) FILTER (WHERE sc.converted) AS converted,
                   count(*) FILTER (WHERE sc.reached_mql) AS mqls,
                   count(*) FILTER (WHERE sc.won) AS won,
                   count(*) FILTER (WHERE sc.won_via_mql) AS won_via_mql,
                   sum(sc.won_revenue) AS won_revenue,
                   sum(sc.won_revenue) FILTER (WHERE sc.won_via_mql) AS won_revenue_via_mql
            FROM scored AS sc
            GROUP BY GROUPING SETS ((sc.score), (sc.grade))
        )
        SELECT r.run_id, g.* FROM (SELECT {run_sql} AS run_id) AS r
        LEFT JOIN grouped AS g ON TRUE"""
    )
    groups = [
        ScoreGroup(float(r["score"]), int(r["leads"]), int(r["converted"]))
        for r in rows
        if r["by_score"] == 1
    ]
    by_grade = sorted((r for r in rows if r["by_score"] == 0), key=lambda r: r["grade"])
    leads = sum(g.leads for g in groups)
    converted = sum(g.converted for g in groups)
    deciles = decile_rows(
        find_deciles(groups, _ties(ctx, run_sql, straddling(groups))), leads, converted
    )
    base = float(converted) / leads if leads else 0.0
    grades = [
        {
            "grade": r["grade"],
            "leads": r["leads"],
            "mqls": r["mqls"],
            "converted": r["converted"],
            "conversion_rate": ratio(r["converted"], r["leads"]),
            "lift": ratio(float(r["converted"]) / r["leads"], base, 2),
            "won": r["won"],
            "won_revenue": sql_round(float(r["won_revenue"] or 0), 2),
        }
        for r in by_grade
    ]
    rates = [d["conversion_rate"] for d in deciles if d["conversion_rate"] is not None]
    won_leads = sum(int(r["won"]) for r in by_grade)
    won_via_mql = sum(int(r["won_via_mql"]) for r in by_grade)
    revenue = [float(r["won_revenue"]) for r in by_grade if r["won_revenue"] is not None]
    via_mql = [
        float(r["won_revenue_via_mql"]) for r in by_grade if r["won_revenue_via_mql"] is not None
    ]
    won_revenue = sum(revenue)
    area = auc(groups)
    summary = {
        "run_id": rows[0]["run_id"],
        "leads": leads,
        "converted": converted,
        "auc": round(area, 4) if area is not None else None,
        "top_decile_lift": deciles[0]["lift"] if deciles else None,
        "monotonic": all(a >= b for a, b in pairwise(rates)),
        "won_leads": won_leads,
        "won_via_mql": won_via_mql,
        "won_via_mql_share": round(won_via_mql / won_leads, 4) if won_leads else None,
        "won_revenue_via_mql_share": (
            round(sum(via_mql) / won_revenue, 4) if won_revenue else None
        ),
        "outcome": ctx.option("outcome"),
    }
    return ReportResult("scoring", REPORT.title, q, summary, {"deciles": deciles, "grades": grades})


def _scored_sql(
    ctx: ReportContext, run_sql: str, where: str = "TRUE", *, money: bool = False
) -> str:
    """CTEs ending in ``scored``: one row per lead the run scored, with its outcomes.

    What is known about a lead besides its score (stage progress, the source's
    converted flag and, with ``money``, its won deals) is gathered per lead
    first, among the few leads that have any, so the run's million snapshots
    are joined once rather than once per fact.
    """
    # the outcome reads the flag from the facts (`p`), not from a scope row
    outcome = OUTCOMES[ctx.option("outcome")].replace("s.flagged_converted", "p.flagged_converted")
    won = (
        f""",
        won_money AS (
            SELECT d.lead_id, sum(d.amount) FILTER (WHERE d.is_won) AS won_revenue
            FROM ({LEAD_DEALS_SQL}) AS d GROUP BY d.lead_id
        )"""
        if money
        else ""
    )
    won_join = "FULL JOIN won_money AS m ON m.lead_id = coalesce(pr.lead_id, fl.lead_id)"
    return f"""progress AS ({PROGRESS_SQL}){won},
        facts AS (
            SELECT {
        "coalesce(pr.lead_id, fl.lead_id, m.lead_id)"
        if money
        else "coalesce(pr.lead_id, fl.lead_id)"
    } AS lead_id,
                   pr.best_rank, pr.mql_at, pr.won_at, fl.flagged_converted,
                   {"m.won_revenue" if money else "CAST(NULL AS DOUBLE)"} AS won_revenue
            FROM progress AS pr
            FULL JOIN (SELECT lead_id, true AS flagged_converted FROM leads WHERE converted)
                AS fl ON fl.lead_id = pr.lead_id
            {won_join if money else ""}
        ),
        scored AS (
            SELECT sn.lead_id, sn.score, sn.grade,
                   {outcome} AS converted,
                   coalesce(p.best_rank >= 1, false) AS reached_mql,
                   coalesce(p.best_rank = 5, false) AS won,
                   p.mql_at IS NOT NULL AND p.mql_at <= p.won_at AS won_via_mql,
                   p.won_revenue
            FROM score_snapshots AS sn
            LEFT JOIN facts AS p ON p.lead_id = sn.lead_id
            WHERE sn.run_id = {run_sql} AND {where}
              AND {lead_condition(ctx.query, ctx.engine, "sn.lead_id", window="created")}
        )"""


def _ties(ctx: ReportContext, run_sql: str, scores: list[float]) -> dict[float, list[bool]]:
    """The outcomes of the leads of scores that straddle a decile cut, in lead_id order."""
    if not scores:
        return {}
    rows = ctx.engine.fetch(
        f"""WITH {_scored_sql(ctx, run_sql, "sn.score IN (SELECT unnest($tie_scores))")}
        SELECT score, converted FROM scored ORDER BY score, lead_id""",
        {**ctx.query.params(), "tie_scores": scores},
    )
    ties: dict[float, list[bool]] = {}
    for score, converted in rows:
        ties.setdefault(float(score), []).append(bool(converted))
    return ties


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
