"""``attribution``: which campaigns' touches the pipeline and revenue came through.

Each deal's amount is shared among the campaign touches its lead had up to
the moment the deal was opened, by one of four models. Credits are exact to
the cent: touch k of n gets ``D(a·F(k)) − D(a·F(k−1))``, where ``F`` is the
model's cumulative share (``F(0) = 0``, ``F(n) = 1``) and ``D`` rounds to a
cent, so a deal's credits telescope to exactly its amount and every model
sums exactly to the attributed pipeline and revenue.
"""

from __future__ import annotations

from decimal import Decimal

from leadline.analytics.registry import (
    Column,
    Option,
    Report,
    ReportContext,
    ReportResult,
    Table,
)
from leadline.analytics.scope import LEAD_DEALS_SQL, MERGED, lead_condition

MODELS: tuple[str, ...] = ("first", "last", "linear", "u_shaped")
MONEY = "DECIMAL(18,2)"


def cumulative(model: str, k: str) -> str:
    """F(k): the share of a deal credited to its first k touches (of n)."""
    if model == "first":
        return f"CASE WHEN {k} >= 1 THEN 1.0e0 ELSE 0.0e0 END"
    if model == "last":
        return f"CASE WHEN {k} >= n THEN 1.0e0 ELSE 0.0e0 END"
    if model == "linear":
        return f"CASE WHEN {k} >= n THEN 1.0e0 ELSE CAST({k} AS DOUBLE) / n END"
    if model == "u_shaped":
        # 40% first, 40% last, 20% shared by the touches between; 50/50 for two.
        return (
            f"CASE WHEN {k} <= 0 THEN 0.0e0 WHEN {k} >= n THEN 1.0e0 WHEN n = 2 THEN 0.5e0 "
            f"ELSE 0.4e0 + 0.2e0 * CAST({k} - 1 AS DOUBLE) / CAST(n - 2 AS DOUBLE) END"
        )
    raise ValueError(model)


def credit(model: str) -> str:
    return (
        f"CAST(amount * {cumulative(model, 'k')} AS {MONEY}) "
        f"- CAST(amount * {cumulative(model, '(k - 1)')} AS {MONEY})"
    )


def compute(ctx: ReportContext) -> ReportResult:
    q = ctx.query
    deals = f"""SELECT d.opportunity_id, d.lead_id, d.created_at, d.is_won,
               CAST(coalesce(d.amount, 0) AS {MONEY}) AS amount
        FROM ({LEAD_DEALS_SQL}) AS d
        WHERE {lead_condition(q, ctx.engine, "d.lead_id", window="created")}"""
    # the deals, then their touches, each kept once for the two questions below
    with ctx.scratch(deals) as deal_rows, ctx.scratch(_credited(deal_rows)) as credit_rows:
        return _compute(ctx, deal_rows, credit_rows)


def _credited(deal_rows: str) -> str:
    return f"""WITH deals AS (SELECT * FROM {deal_rows}),
        tp AS (
            SELECT coalesce(mg.merged_into, t.lead_id) AS lead_id, t.campaign_id, t.touched_at,
                   t.source, t.source_event_id
            FROM touches AS t LEFT JOIN {MERGED} AS mg ON mg.merged_id = t.lead_id
            WHERE t.touched_at <= $as_of
        ),
        credited AS (
            SELECT d.opportunity_id, d.amount, d.is_won, tp.campaign_id,
                   row_number() OVER (PARTITION BY d.opportunity_id
                                      ORDER BY tp.touched_at, tp.source, tp.source_event_id) AS k,
                   count(*) OVER (PARTITION BY d.opportunity_id) AS n
            FROM deals AS d JOIN tp ON tp.lead_id = d.lead_id AND tp.touched_at <= d.created_at
        )
        SELECT * FROM credited"""


def _compute(ctx: ReportContext, deal_rows: str, credit_rows: str) -> ReportResult:
    q = ctx.query
    chosen = MODELS if ctx.option("model") == "all" else (ctx.option("model"),)
    by = ctx.option("by")
    key = "coalesce(cm.channel, '(none)')" if by == "channel" else "sh.campaign_id"
    ctes = f"""WITH credited AS (SELECT * FROM {credit_rows}),
        deals AS (SELECT * FROM {deal_rows}),
        shares AS (
            SELECT campaign_id, opportunity_id, is_won,
                   {", ".join(f"{credit(m)} AS {m}_credit" for m in chosen)}
            FROM credited
        )"""
    model_cols = ", ".join(
        f"sum({m}_credit) AS {m}_pipeline, "
        f"coalesce(sum({m}_credit) FILTER (WHERE is_won), 0) AS {m}_revenue"
        for m in chosen
    )
    name_col = ", max(cm.name) AS name" if by == "campaign" else ""
    rows = ctx.fetch(
        f"""{ctes}
        SELECT {key} AS key{name_col}, count(*) AS touches,
               count(DISTINCT sh.opportunity_id) AS opportunities, {model_cols}
        FROM shares AS sh LEFT JOIN campaigns AS cm ON cm.campaign_id = sh.campaign_id
        GROUP BY 1
        ORDER BY {chosen[0]}_revenue DESC, {chosen[0]}_pipeline DESC, 1"""
    )
    totals = ctx.fetch(
        f"""{ctes}
        SELECT count(*) AS opportunities,
               coalesce(sum(amount), 0) AS pipeline,
               coalesce(sum(amount) FILTER (WHERE is_won), 0) AS revenue,
               count(*) FILTER (WHERE touched) AS attributed_opportunities,
               coalesce(sum(amount) FILTER (WHERE touched), 0) AS attributed_pipeline,
               coalesce(sum(amount) FILTER (WHERE touched AND is_won), 0) AS attributed_revenue
        FROM (SELECT d.*, d.opportunity_id IN (SELECT opportunity_id FROM credited) AS touched
              FROM deals AS d) AS x"""
    )[0]
    key_name = "channel" if by == "channel" else "campaign"
    rows = [{key_name: r.pop("key"), **r} for r in rows]
    zero = Decimal("0.00")
    summary = {
        "attributed_pipeline": totals["attributed_pipeline"],
        "attributed_revenue": totals["attributed_revenue"],
        "attributed_opportunities": int(totals["attributed_opportunities"]),
        "unattributed_pipeline": (totals["pipeline"] or zero) - totals["attributed_pipeline"],
        "unattributed_revenue": (totals["revenue"] or zero) - totals["attributed_revenue"],
        "opportunities": int(totals["opportunities"]),
        "models": ",".join(chosen),
        "by": by,
    }
    return ReportResult("attribution", REPORT.title, q, summary, {"credits": rows})


REPORT = Report(
    name="attribution",
    title="Attribution: pipeline and revenue by campaign touch",
    description=(
        "Shares every deal's amount among the campaign touches its lead had before the deal "
        "was opened. first: all to the earliest touch; last: all to the latest; linear: "
        "equal shares; u_shaped: 40% first, 40% last, 20% split among the touches between "
        "(50/50 with two touches, all of it with one). Deals whose lead had no touch before "
        "the deal are unattributed. Each model's credits sum exactly (to the cent) to the "
        "attributed pipeline and revenue."
    ),
    window="leads created in the window (their deals up to the as-of time)",
    compute=compute,
    definitions=(
        "Touches count when they happened at or before the moment the deal was opened; "
        "ties are broken by source and event id, so the order is stable.",
        "Credits are exact to the cent: touch k of n gets D(a·F(k)) − D(a·F(k−1)), where F "
        "is the model's cumulative share and D rounds to a cent, so each deal's credits "
        "add up to exactly its amount.",
    ),
    options=(
        Option("model", "all", "which model(s) to show", ("all", *MODELS)),
        Option("by", "campaign", "credit campaigns, or their channels", ("campaign", "channel")),
    ),
    tables=(
        Table(
            "credits",
            "One row per campaign (or channel); one pipeline and one revenue column per model.",
            (
                Column("campaign | channel", "text", "who gets the credit"),
                Column("name", "text", "campaign name (by campaign only)"),
                Column("touches", "count", "touches that earned a share (before a deal opened)"),
                Column("opportunities", "count", "deals these touches share in"),
                Column("<model>_pipeline", "money", "credited share of deal amounts"),
                Column("<model>_revenue", "money", "credited share of won deal amounts"),
            ),
        ),
    ),
    summary=(
        Column("attributed_pipeline", "money", "amount of deals with at least one touch"),
        Column("attributed_revenue", "money", "amount of such deals that were won"),
        Column("attributed_opportunities", "count", "deals with at least one touch"),
        Column("unattributed_pipeline", "money", "amount of deals without a touch before them"),
        Column("unattributed_revenue", "money", "won amount of such deals"),
        Column("opportunities", "count", "deals of the period's leads"),
        Column("models", "text", "the models shown"),
        Column("by", "text", "campaign or channel"),
    ),
)
