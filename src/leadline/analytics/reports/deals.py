"""``deals``: won revenue, win rate and days to close by owner, product, industry or channel.

The other reports start from leads; this one starts from the CRM's deals, so
it also counts deals that never had a lead in leadline (imported pipelines
such as the Maven CRM sample), which is where "closing the loop" begins.
"""

from __future__ import annotations

from leadline.analytics.registry import (
    Column,
    Option,
    Report,
    ReportContext,
    ReportResult,
    Table,
)
from leadline.analytics.scope import deal_scope, ratio

KEYS = {
    "owner": "coalesce(d.owner, '(none)')",
    "product": "coalesce(d.product, '(none)')",
    "industry": "coalesce(a.industry, '(none)')",
    "account": "coalesce(d.account_id, '(none)')",
    "channel": (
        "CASE WHEN d.lead_id IS NULL THEN '(no lead)' ELSE coalesce(d.channel, '(none)') END"
    ),
    "month": "strftime(date_trunc('month', d.created_at), '%Y-%m')",
}
DAYS = "(epoch(d.closed_at) - epoch(d.created_at)) / 86400.0"


def measures(prefix: str = "") -> str:
    closed = "d.outcome IN ('won', 'lost') AND d.closed_at >= d.created_at"
    return f"""round(coalesce(sum(d.amount) FILTER (WHERE d.outcome = 'won'), 0), 2) AS won_revenue,
        count(*) FILTER (WHERE d.outcome = 'won') AS won,
        count(*) FILTER (WHERE d.outcome = 'lost') AS lost,
        count(*) FILTER (WHERE d.outcome = 'open') AS open,
        count(*) AS opportunities,
        {
        ratio(
            "count(*) FILTER (WHERE d.outcome = 'won')",
            "count(*) FILTER (WHERE d.outcome IN ('won', 'lost'))",
        )
    } AS win_rate,
        round(coalesce(sum(d.amount), 0), 2) AS pipeline,
        round(coalesce(sum(d.amount) FILTER (WHERE d.outcome = 'open'), 0), 2) AS open_pipeline,
        round(avg(d.amount) FILTER (WHERE d.outcome = 'won'), 2) AS avg_won_amount,
        round(quantile_cont({DAYS}, 0.5) FILTER (WHERE {closed}), 2) AS median_days_to_close,
        round(quantile_cont({DAYS}, 0.9) FILTER (WHERE {closed}), 2) AS p90_days_to_close"""


def compute(ctx: ReportContext) -> ReportResult:
    q = ctx.query
    by = ctx.option("by")
    source = f"""({deal_scope(q, ctx.engine, channel=by == "channel")}) AS d
        LEFT JOIN accounts AS a ON a.account_id = d.account_id"""
    rows = ctx.fetch(
        f"""SELECT {KEYS[by]} AS key, {measures()} FROM {source}
        GROUP BY 1 ORDER BY won_revenue DESC, pipeline DESC, 1"""
    )
    rows = [{by: r.pop("key"), **r} for r in rows]
    total = ctx.fetch(f"SELECT {measures()} FROM {source}")[0]
    summary = {**total, "by": by}
    return ReportResult("deals", REPORT.title, q, summary, {"groups": rows})


_COLUMNS = (
    Column("won_revenue", "money", "amount of deals won by the as-of time"),
    Column("won", "count", "deals won"),
    Column("lost", "count", "deals lost"),
    Column("open", "count", "deals neither won nor lost by the as-of time"),
    Column("opportunities", "count", "all deals"),
    Column("win_rate", "rate", "won / (won + lost)"),
    Column("pipeline", "money", "amount of all deals"),
    Column("open_pipeline", "money", "amount of open deals"),
    Column("avg_won_amount", "money", "mean amount of a won deal"),
    Column("median_days_to_close", "days", "median days from created (engaged) to closed"),
    Column("p90_days_to_close", "days", "90th percentile of the same"),
)

REPORT = Report(
    name="deals",
    title="Deals: won revenue, win rate and days to close",
    description=(
        "Every opportunity in the CRM, with or without a lead in leadline, grouped by owner "
        "(rep), product, account industry, account, lead channel or month created. A deal "
        "counts as won or lost only once it closed by the as-of time."
    ),
    window="deals created (engaged) in the window",
    compute=compute,
    options=(Option("by", "owner", "how to group deals", tuple(KEYS)),),
    tables=(
        Table(
            "groups",
            "One row per group, best revenue first.",
            (Column("<by>", "text", "the group (named after `by`)"), *_COLUMNS),
        ),
    ),
    summary=(*_COLUMNS, Column("by", "text", "the grouping used")),
)
