"""``reasons``: why sales turned MQLs down and why deals were lost, by source and over time.

Rejections and recycles come from sales' dispositions (reason codes from the
contract); losses from lost deals, whose reason is read from the deal's
imported attributes (``loss_reason``, else ``lost_reason``, else
``close_reason``) and shown as ``(not recorded)`` when the CRM gave none.
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
from leadline.analytics.scope import deal_scope, lead_scope, ratio

LOSS_REASON = (
    "coalesce(json_extract_string(o.attributes, '$.loss_reason'), "
    "json_extract_string(o.attributes, '$.lost_reason'), "
    "json_extract_string(o.attributes, '$.close_reason'), '(not recorded)')"
)


def compute(ctx: ReportContext) -> ReportResult:
    q = ctx.query
    by = ctx.option("by")
    window = []
    if q.start is not None:
        window.append("decided >= $start")
    if q.end is not None:
        window.append("decided < $end")
    in_window = " AND ".join(["decided <= $as_of", *window])
    unwindowed = type(q)(as_of=q.at, segment=q.segment)
    sql = f"""WITH scope AS ({lead_scope(q, ctx.engine, window=None, key=by)}),
        deals AS ({deal_scope(unwindowed, ctx.engine)}),
        events AS (
            SELECT CASE d.action WHEN 'reject' THEN 'rejected' ELSE 'recycled' END AS kind,
                   coalesce(d.reason, '(none given)') AS reason, d.decided_at AS decided,
                   s.key
            FROM dispositions AS d JOIN scope AS s ON s.lead_id = d.lead_id
            WHERE d.action IN ('reject', 'recycle')
            UNION ALL
            SELECT 'lost', {LOSS_REASON}, dl.closed_at,
                   CASE WHEN s.lead_id IS NULL THEN '(no lead)' ELSE s.key END
            FROM deals AS dl JOIN opportunities AS o USING (opportunity_id)
            LEFT JOIN scope AS s ON s.lead_id = dl.lead_id
            WHERE dl.outcome = 'lost'
        ),
        picked AS (SELECT * FROM events WHERE {in_window})
        SELECT 'by_key' AS part, kind, reason, key, NULL AS month, count(*) AS events,
               {ratio("count(*)", "sum(count(*)) OVER (PARTITION BY kind)")} AS share_of_kind
        FROM picked GROUP BY kind, reason, key
        UNION ALL
        SELECT 'by_month', kind, reason, NULL, strftime(date_trunc('month', decided), '%Y-%m'),
               count(*), {
        ratio("count(*)", "sum(count(*)) OVER (PARTITION BY kind, date_trunc('month', decided))")
    }
        FROM picked GROUP BY kind, reason, date_trunc('month', decided)"""
    rows = ctx.fetch(sql)
    order = {"rejected": 0, "recycled": 1, "lost": 2}
    key_name = by.split(".")[-1]
    by_key = sorted(
        (
            {
                "kind": r["kind"],
                "reason": r["reason"],
                key_name: r["key"],
                "events": r["events"],
                "share_of_kind": r["share_of_kind"],
            }
            for r in rows
            if r["part"] == "by_key"
        ),
        key=lambda r: (order[r["kind"]], -r["events"], r["reason"], r[key_name]),
    )
    by_month = sorted(
        (
            {
                "month": r["month"],
                "kind": r["kind"],
                "reason": r["reason"],
                "events": r["events"],
                "share_of_month": r["share_of_kind"],
            }
            for r in rows
            if r["part"] == "by_month"
        ),
        key=lambda r: (r["month"], order[r["kind"]], -r["events"], r["reason"]),
    )
    totals: dict[str, int] = {k: 0 for k in order}
    for r in by_key:
        totals[r["kind"]] += r["events"]
    top: dict[str, str | None] = {}
    for kind in order:
        counts: dict[str, int] = {}
        for r in by_key:
            if r["kind"] == kind:
                counts[r["reason"]] = counts.get(r["reason"], 0) + r["events"]
        top[f"top_{kind}_reason"] = min(counts, key=lambda k: (-counts[k], k)) if counts else None
    summary = {**totals, **top, "by": by}
    return ReportResult(
        "reasons", REPORT.title, q, summary, {"by_source": by_key, "by_month": by_month}
    )


REPORT = Report(
    name="reasons",
    title="Reasons: why MQLs were rejected or recycled and why deals were lost",
    description=(
        "Every rejection and recycle sales recorded (with its reason code) and every lost "
        "deal (with its loss reason), counted by lead source (or channel, campaign, any "
        "lead attribute) and by month."
    ),
    window="decisions made in the window: disposition time, or the deal's close date",
    compute=compute,
    definitions=(
        "Rejections and recycles are sales' dispositions with their reason codes (from the "
        "contract's `stages.reject_reasons`); '(none given)' when there was none.",
        "A lost deal's reason is read from its imported attributes `loss_reason`, else "
        "`lost_reason`, else `close_reason`; '(not recorded)' when the CRM gave none. Lost "
        "deals without a lead are counted under '(no lead)' unless a lead filter is set.",
    ),
    options=(
        Option(
            "by",
            "source",
            "group by source (lead source), channel, campaign, country or attributes.KEY",
            ("source", "channel", "campaign", "country", "attributes.*"),
        ),
    ),
    tables=(
        Table(
            "by_source",
            "One row per (kind, reason, group), most frequent first within each kind.",
            (
                Column("kind", "text", "rejected, recycled (sales' dispositions) or lost (deals)"),
                Column("reason", "text", "the reason code; '(none given)' / '(not recorded)'"),
                Column("<by>", "text", "the lead's group; '(no lead)' for deals without one"),
                Column("events", "count", "how many"),
                Column("share_of_kind", "rate", "events / all events of this kind"),
            ),
        ),
        Table(
            "by_month",
            "One row per (month, kind, reason).",
            (
                Column("month", "month", "month of the decision"),
                Column("kind", "text", "rejected, recycled or lost"),
                Column("reason", "text", "the reason code"),
                Column("events", "count", "how many"),
                Column("share_of_month", "rate", "events / events of this kind that month"),
            ),
        ),
    ),
    summary=(
        Column("rejected", "count", "MQL rejections"),
        Column("recycled", "count", "MQLs sent back to nurture"),
        Column("lost", "count", "deals lost"),
        Column("top_rejected_reason", "text", "most frequent rejection reason"),
        Column("top_recycled_reason", "text", "most frequent recycle reason"),
        Column("top_lost_reason", "text", "most frequent loss reason"),
        Column("by", "text", "the grouping used"),
    ),
)
