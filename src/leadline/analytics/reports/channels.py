"""``channels``: which channels, campaigns or sources pay, sorted by revenue, not volume.

Cost comes from ``campaign_costs``, pro-rated by the days each cost period
overlaps the window (and never past the as-of time). Costs belong to
campaigns, so they can be split by channel or campaign only: grouped by
anything else, or filtered by source, grade, rep or product, cost is left
empty rather than shown against leads it did not buy.
"""

from __future__ import annotations

from leadline.analytics.query import ATTRIBUTE_KEY, ReportQuery
from leadline.analytics.registry import (
    Column,
    Option,
    Report,
    ReportContext,
    ReportResult,
    Table,
)
from leadline.analytics.scope import (
    LEAD_DEALS_SQL,
    OUTCOMES,
    PROGRESS_SQL,
    lead_scope,
    ratio,
)

BY_CHOICES = ("channel", "campaign", "source", "country", "attributes.*")


def key_column(by: str) -> str:
    """The name of the grouping column: ``channel``, ``campaign``, ``lead_origin``..."""
    match = ATTRIBUTE_KEY.match(by)
    return match.group(1) if match else by


def cost_sql(q: ReportQuery, by: str) -> str | None:
    """Pro-rated cost per group, or None when costs cannot be split this way."""
    if by not in ("channel", "campaign") or not q.segment.cost_attributable:
        return None
    key = "c.channel" if by == "channel" else "k.campaign_id"
    where = []
    if q.segment.channel is not None:
        where.append("c.channel = $channel")
    if q.segment.campaign is not None:
        where.append("k.campaign_id = $campaign")
    window_start = "CAST($start AS TIMESTAMP)" if q.start is not None else "p_start"
    window_end = "least(CAST($end AS TIMESTAMP), $as_of)" if q.end is not None else "$as_of"
    extra = (" AND " + " AND ".join(where)) if where else ""
    return f"""SELECT coalesce({key}, '(none)') AS key,
            sum(k.cost * greatest(0, epoch(least(p_end, {window_end}))
                                    - epoch(greatest(p_start, {window_start})))
                / (epoch(p_end) - epoch(p_start))) AS cost
        FROM (SELECT *, CAST(period_start AS TIMESTAMP) AS p_start,
                     CAST(period_end AS TIMESTAMP) + INTERVAL 1 DAY AS p_end
              FROM campaign_costs) AS k
        LEFT JOIN campaigns AS c ON c.campaign_id = k.campaign_id
        WHERE k.p_end > k.p_start{extra}
        GROUP BY 1"""


def compute(ctx: ReportContext) -> ReportResult:
    q = ctx.query
    by = ctx.option("by")
    cost = cost_sql(q, by)
    cost_cte = f"cost AS ({cost})" if cost else "cost AS (SELECT NULL AS key, NULL AS cost)"
    cost_col = "round(c.cost, 2)" if cost else "CAST(NULL AS DOUBLE)"
    sql = f"""WITH scope AS ({lead_scope(q, ctx.engine, key=by)}),
        progress AS ({PROGRESS_SQL}),
        per_lead AS (
            SELECT s.key, s.lead_id, coalesce(p.best_rank, 0) AS r,
                   {OUTCOMES["converted"]} AS converted
            FROM scope AS s LEFT JOIN progress AS p USING (lead_id)
        ),
        leads_by AS (
            SELECT key, count(*) AS leads,
                   count(*) FILTER (WHERE r >= 1) AS mqls,
                   count(*) FILTER (WHERE r >= 2) AS sals,
                   count(*) FILTER (WHERE r >= 3) AS sqls,
                   count(*) FILTER (WHERE converted) AS converted
            FROM per_lead GROUP BY key
        ),
        deals_by AS (
            SELECT pl.key, count(*) AS opportunities,
                   sum(d.amount) AS pipeline,
                   count(*) FILTER (WHERE d.is_won) AS won_deals,
                   sum(d.amount) FILTER (WHERE d.is_won) AS won_revenue
            FROM ({LEAD_DEALS_SQL}) AS d JOIN per_lead AS pl USING (lead_id)
            GROUP BY pl.key
        ),
        {cost_cte}
        SELECT key,
            round(coalesce(db.won_revenue, 0), 2) AS won_revenue,
            round(coalesce(db.pipeline, 0), 2) AS pipeline,
            coalesce(db.opportunities, 0) AS opportunities,
            coalesce(db.won_deals, 0) AS won_deals,
            {cost_col} AS cost,
            {ratio("coalesce(db.won_revenue, 0) - c.cost", "c.cost")} AS roi,
            {ratio("c.cost", "lb.mqls", 2)} AS cost_per_mql,
            {ratio("c.cost", "lb.sqls", 2)} AS cost_per_sql,
            {ratio("c.cost", "db.opportunities", 2)} AS cost_per_opportunity,
            {ratio("c.cost", "db.won_deals", 2)} AS cost_per_won,
            coalesce(lb.leads, 0) AS leads, coalesce(lb.mqls, 0) AS mqls,
            {ratio("lb.sals", "lb.mqls")} AS sal_rate,
            {ratio("lb.sqls", "lb.mqls")} AS sql_rate,
            coalesce(lb.converted, 0) AS converted,
            {ratio("lb.converted", "lb.leads")} AS conversion_rate
        FROM leads_by AS lb
        FULL JOIN (SELECT * FROM cost WHERE key IS NOT NULL AND cost > 0) AS c USING (key)
        LEFT JOIN deals_by AS db USING (key)
        ORDER BY won_revenue DESC, pipeline DESC, key"""
    rows = ctx.fetch(sql)
    name = key_column(by)
    rows = [{name: r.pop("key"), **r} for r in rows]
    won = sum(r["won_revenue"] for r in rows)
    costs = [r["cost"] for r in rows if r["cost"] is not None]
    total_cost = round(sum(costs), 2) if cost else None
    summary = {
        "won_revenue": round(won, 2),
        "pipeline": round(sum(r["pipeline"] for r in rows), 2),
        "opportunities": sum(r["opportunities"] for r in rows),
        "won_deals": sum(r["won_deals"] for r in rows),
        "cost": total_cost,
        "roi": round((won - total_cost) / total_cost, 4) if total_cost else None,
        "leads": sum(r["leads"] for r in rows),
        "mqls": sum(r["mqls"] for r in rows),
        "converted": sum(r["converted"] for r in rows),
        "by": by,
    }
    return ReportResult("channels", REPORT.title, q, summary, {"groups": rows})


REPORT = Report(
    name="channels",
    title="Channels by revenue: pipeline, won deals, cost per stage and ROI",
    description=(
        "Per channel (or campaign, lead source, country, or any lead attribute): the "
        "revenue and pipeline its leads brought, what it cost and the cost per MQL, SQL, "
        "opportunity and won deal, with lead and MQL volume as context. Sorted by won "
        "revenue, then pipeline."
    ),
    window=(
        "leads created in the window; cost is pro-rated to the window's days (up to the as-of time)"
    ),
    compute=compute,
    definitions=(
        "Cost comes from `campaign_costs`, pro-rated by the days each cost period overlaps "
        "the window (and never past the as-of time); a channel that spent money in the "
        "window shows its cost even without leads.",
        "Costs belong to campaigns, so they split by channel or campaign only: grouped by "
        "anything else, or filtered by source, grade, rep or product, `cost` and the "
        "cost-per columns stay empty rather than charge leads a cost they did not incur.",
    ),
    options=(
        Option(
            "by",
            "channel",
            "group leads by channel, campaign, source (lead source), country or "
            "attributes.KEY (an imported lead attribute, e.g. attributes.lead_origin)",
            BY_CHOICES,
        ),
    ),
    tables=(
        Table(
            "groups",
            "One row per group, best revenue first.",
            (
                Column(
                    "<by>", "text", "the group (named after the `by` option); '(none)' when empty"
                ),
                Column(
                    "won_revenue", "money", "amount of these leads' deals won by the as-of time"
                ),
                Column("pipeline", "money", "amount of every deal opened for these leads"),
                Column("opportunities", "count", "deals opened for these leads"),
                Column("won_deals", "count", "deals won"),
                Column(
                    "cost",
                    "money",
                    "campaign cost pro-rated to the window; empty when costs cannot be split "
                    "this way (see above)",
                ),
                Column("roi", "ratio", "(won_revenue − cost) / cost"),
                Column("cost_per_mql", "money", "cost / mqls"),
                Column("cost_per_sql", "money", "cost / leads that reached SQL or later"),
                Column("cost_per_opportunity", "money", "cost / opportunities"),
                Column("cost_per_won", "money", "cost / won_deals"),
                Column("leads", "count", "leads created in the window"),
                Column("mqls", "count", "leads that reached MQL or any later stage"),
                Column("sal_rate", "rate", "leads that reached SAL or later / mqls"),
                Column("sql_rate", "rate", "leads that reached SQL or later / mqls"),
                Column(
                    "converted",
                    "count",
                    "leads that converted: reached opportunity (or won/lost), or were imported "
                    "with converted = true by their source system",
                ),
                Column("conversion_rate", "rate", "converted / leads"),
            ),
        ),
    ),
    summary=(
        Column("won_revenue", "money", "sum over groups"),
        Column("pipeline", "money", "sum over groups"),
        Column("opportunities", "count", "sum over groups"),
        Column("won_deals", "count", "sum over groups"),
        Column("cost", "money", "sum over groups (empty when not attributable)"),
        Column("roi", "ratio", "(won_revenue − cost) / cost"),
        Column("leads", "count", "sum over groups"),
        Column("mqls", "count", "sum over groups"),
        Column("converted", "count", "sum over groups"),
        Column("by", "text", "the grouping used"),
    ),
)
