"""``content``: which assets the leads who converted consumed, and whether gating pays.

"Consumed" means any activity that names the asset (download, view,
webinar...) by the as-of time. Lift compares an asset's conversion rate with
the rate of all the period's leads: above 1, its readers convert more often
(which says the asset attracts buyers, not that it made them buy).
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
from leadline.analytics.scope import (
    MERGED,
    OUTCOMES,
    PROGRESS_SQL,
    lead_condition,
    lead_scope,
    ratio,
)

OUTCOME_OPTION = Option(
    "outcome",
    "converted",
    "converted: reached opportunity (or the source system flagged the lead converted); "
    "won: became a customer in leadline's stage history",
    tuple(OUTCOMES),
)


def compute(ctx: ReportContext) -> ReportResult:
    q = ctx.query
    # converted leads are few: test readers against that set instead of joining every lead
    goal = "p.best_rank = 5" if ctx.option("outcome") == "won" else "p.best_rank >= 4"
    flagged = (
        ""
        if ctx.option("outcome") == "won"
        else (" UNION SELECT lead_id FROM leads WHERE converted")
    )
    lead = "coalesce(mg.merged_into, a.lead_id)"
    in_scope = lead_condition(q, ctx.engine, lead, window="created")
    # Reading every activity that names an asset is the cost floor of this report, so
    # it is done once: each (asset, lead) pair, kept only for leads in scope (before
    # grouping, so a segment shrinks the grouping too), with the asset's gating looked
    # up from the small content table; assets and gating sides are counted from it.
    sql = f"""WITH scope AS ({lead_scope(q, ctx.engine)}),
        progress AS ({PROGRESS_SQL}),
        winners AS (SELECT p.lead_id FROM progress AS p WHERE {goal}{flagged}),
        base AS (
            SELECT (SELECT count(*) FROM scope) AS leads,
                   (SELECT count(*) FROM scope WHERE lead_id IN (SELECT lead_id FROM winners))
                       AS converted
        ),
        readers AS (
            SELECT pair.content_id, pair.lead_id, pair.gated,
                   pair.lead_id IN (SELECT lead_id FROM winners) AS converted
            FROM (
                SELECT a.content_id, {lead} AS lead_id,
                       a.content_id IN (SELECT content_id FROM content WHERE gated) AS gated
                FROM activities AS a LEFT JOIN {MERGED} AS mg ON mg.merged_id = a.lead_id
                WHERE a.content_id IS NOT NULL AND a.occurred_at <= $as_of AND {in_scope}
                GROUP BY 1, 2, 3
            ) AS pair
        ),
        per_asset AS (
            SELECT content_id, count(*) AS consumers,
                   count(*) FILTER (WHERE converted) AS converted
            FROM readers GROUP BY content_id
        ),
        per_lead AS (
            -- which sides each lead read (a lead counts once per side)
            SELECT lead_id, bool_or(gated) AS read_gated, bool_or(NOT gated) AS read_ungated,
                   bool_or(converted) AS converted
            FROM readers GROUP BY lead_id
        ),
        sides AS (
            SELECT count(*) FILTER (WHERE read_gated) AS gated_consumers,
                   count(*) FILTER (WHERE read_gated AND converted) AS gated_converted,
                   count(*) FILTER (WHERE read_ungated) AS ungated_consumers,
                   count(*) FILTER (WHERE read_ungated AND converted) AS ungated_converted
            FROM per_lead
        ),
        per_gate AS (
            SELECT ga.gated, ga.assets,
                   CASE WHEN ga.gated THEN sd.gated_consumers ELSE sd.ungated_consumers END
                       AS consumers,
                   CASE WHEN ga.gated THEN sd.gated_converted ELSE sd.ungated_converted END
                       AS converted
            FROM (
                SELECT coalesce(ct.gated, false) AS gated, count(*) AS assets
                FROM per_asset AS pa LEFT JOIN content AS ct USING (content_id) GROUP BY 1
            ) AS ga
            CROSS JOIN sides AS sd
        )
        SELECT 'asset' AS part, pa.content_id, ct.title, ct.content_type, ct.journey_stage,
               coalesce(ct.gated, false) AS gated, NULL AS assets, pa.consumers, pa.converted,
               pa.consumers - pa.converted AS not_converted,
               {ratio("pa.converted", "pa.consumers")} AS conversion_rate,
               {
        ratio(
            "CAST(pa.converted AS DOUBLE) / pa.consumers",
            "CAST(b.converted AS DOUBLE) / b.leads",
            2,
        )
    } AS lift
        FROM per_asset AS pa LEFT JOIN content AS ct USING (content_id) CROSS JOIN base AS b
        UNION ALL
        SELECT 'gate', NULL, NULL, NULL, NULL, g.gated, g.assets, g.consumers, g.converted,
               g.consumers - g.converted,
               {ratio("g.converted", "g.consumers")},
               {
        ratio(
            "CAST(g.converted AS DOUBLE) / g.consumers", "CAST(b.converted AS DOUBLE) / b.leads", 2
        )
    }
        FROM per_gate AS g CROSS JOIN base AS b
        UNION ALL
        SELECT 'base', NULL, NULL, NULL, NULL, NULL, NULL, b.leads, b.converted,
               b.leads - b.converted, {ratio("b.converted", "b.leads")}, NULL
        FROM base AS b"""
    rows = ctx.fetch(sql)
    assets = sorted(
        (
            {
                k: r[k]
                for k in (
                    "content_id",
                    "title",
                    "content_type",
                    "journey_stage",
                    "gated",
                    "consumers",
                    "converted",
                    "not_converted",
                    "conversion_rate",
                    "lift",
                )
            }
            for r in rows
            if r["part"] == "asset"
        ),
        key=lambda r: (-r["converted"], -r["consumers"], r["content_id"]),
    )
    gates = sorted(
        (
            {
                k: r[k]
                for k in (
                    "gated",
                    "assets",
                    "consumers",
                    "converted",
                    "not_converted",
                    "conversion_rate",
                    "lift",
                )
            }
            for r in rows
            if r["part"] == "gate"
        ),
        key=lambda r: not r["gated"],
    )
    base = next(r for r in rows if r["part"] == "base")
    summary = {
        "leads": base["consumers"],
        "converted": base["converted"],
        "base_conversion_rate": base["conversion_rate"],
        "assets_consumed": len(assets),
        "outcome": ctx.option("outcome"),
    }
    return ReportResult("content", REPORT.title, q, summary, {"assets": assets, "gating": gates})


_RATE_COLUMNS = (
    Column("consumers", "count", "distinct leads who consumed it"),
    Column("converted", "count", "consumers who converted (see `outcome`)"),
    Column("not_converted", "count", "consumers who did not"),
    Column("conversion_rate", "rate", "converted / consumers"),
    Column("lift", "ratio", "conversion_rate / the conversion rate of all the period's leads"),
)

REPORT = Report(
    name="content",
    title="Content: what converted leads consumed; gated vs ungated",
    description=(
        "For every asset, how many of the period's leads consumed it and how many of those "
        "converted, against the base rate; and the same for gated and ungated assets taken "
        "together (a lead counts once per side)."
    ),
    window="leads created in the window (everything they consumed by the as-of time)",
    compute=compute,
    options=(OUTCOME_OPTION,),
    tables=(
        Table(
            "assets",
            "One row per asset consumed, most converted consumers first.",
            (
                Column("content_id", "text", "the asset"),
                Column("title", "text", "its title"),
                Column("content_type", "text", "blog post, ebook, webinar..."),
                Column("journey_stage", "text", "problem, solution or product"),
                Column("gated", "flag", "behind a form"),
                *_RATE_COLUMNS,
            ),
        ),
        Table(
            "gating",
            "Gated vs ungated assets.",
            (
                Column("gated", "flag", "gated assets, or ungated"),
                Column("assets", "count", "assets of this kind consumed"),
                *_RATE_COLUMNS,
            ),
        ),
    ),
    summary=(
        Column("leads", "count", "the period's leads"),
        Column("converted", "count", "of them converted"),
        Column("base_conversion_rate", "rate", "converted / leads"),
        Column("assets_consumed", "count", "assets with at least one consumer"),
        Column("outcome", "text", "converted or won"),
    ),
)
