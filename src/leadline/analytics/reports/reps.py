"""``reps``: per rep, how they treat MQLs and what they close.

Who a fact belongs to: a disposition to the rep who made it (its actor, an
e-mail matched to ``reps.email``); speed to lead to the rep the SLA clock ran
for; an MQL to the lead's owner (see ``lead_owner_sql``); a deal to its owner.
Reps appear by id; anyone not in ``reps`` appears under the name the data
used.
"""

from __future__ import annotations

from leadline.analytics.registry import Column, Report, ReportContext, ReportResult, Table
from leadline.analytics.scope import (
    PROGRESS_SQL,
    deal_scope,
    lead_condition,
    lead_owner_sql,
    ratio,
)

# Owners are looked up only for the MQLs the table counts (the window's, in scope).
OWNED = "SELECT lead_id FROM window_mqls"


def _window(column: str, ctx: ReportContext) -> str:
    parts = [f"{column} <= $as_of"]
    if ctx.query.start is not None:
        parts.append(f"{column} >= $start")
    if ctx.query.end is not None:
        parts.append(f"{column} < $end")
    return " AND ".join(parts)


def compute(ctx: ReportContext) -> ReportResult:
    q = ctx.query
    unsegmented_rep = type(q.segment)(**{**q.segment.to_dict(), "rep": None})
    lead_q = type(q)(q.start, q.end, q.as_of, unsegmented_rep, q.options)

    def in_scope(column: str) -> str:
        return lead_condition(lead_q, ctx.engine, column)

    sql = f"""WITH progress AS ({PROGRESS_SQL}),
        verdicts AS (
            SELECT coalesce(r.rep_id, d.actor) AS rep, d.action, d.decided_at, p.mql_at
            FROM dispositions AS d
            LEFT JOIN progress AS p USING (lead_id)
            LEFT JOIN reps AS r ON lower(r.email) = lower(d.actor)
            WHERE d.actor IS NOT NULL AND {_window("d.decided_at", ctx)}
              AND {in_scope("d.lead_id")}
        ),
        v AS (
            SELECT rep, count(*) FILTER (WHERE action = 'accept') AS accepted,
                   count(*) FILTER (WHERE action = 'reject') AS rejected,
                   count(*) FILTER (WHERE action = 'recycle') AS recycled,
                   round(quantile_cont((epoch(decided_at) - epoch(mql_at)) / 3600.0, 0.5)
                         FILTER (WHERE decided_at >= mql_at), 1) AS median_hours_to_verdict
            FROM verdicts GROUP BY rep
        ),
        speed AS (
            SELECT c.rep_id AS rep, count(*) AS speed_clocks,
                   round(quantile_cont((epoch(c.stopped_at) - epoch(c.started_at)) / 60.0, 0.5)
                         FILTER (WHERE c.stopped_at <= $as_of), 1) AS median_minutes_to_touch,
                   {
        ratio(
            "count(*) FILTER (WHERE c.stopped_at <= $as_of AND c.stopped_at <= c.due_at)",
            "count(*)",
        )
    } AS within_sla_rate,
                   count(*) FILTER (WHERE coalesce(CASE WHEN c.stopped_at <= $as_of
                                    THEN c.stopped_at END, $as_of) > c.due_at) AS breaches
            FROM sla_clocks AS c
            WHERE c.kind = 'speed_to_lead' AND c.rep_id IS NOT NULL
              AND {_window("c.started_at", ctx)} AND {in_scope("c.lead_id")}
            GROUP BY c.rep_id
        ),
        window_mqls AS (
            SELECT p.lead_id, p.best_rank FROM progress AS p
            WHERE p.mql_at IS NOT NULL AND {_window("p.mql_at", ctx)}
              AND {in_scope("p.lead_id")}
        ),
        owned AS (
            SELECT ow.rep_id AS rep, count(*) AS mqls_owned,
                   count(*) FILTER (WHERE p.best_rank >= 3) AS sqls,
                   count(*) FILTER (WHERE p.best_rank >= 4) AS became_pipeline
            FROM window_mqls AS p
            JOIN ({lead_owner_sql(ctx.engine, OWNED)}) AS ow USING (lead_id)
            GROUP BY ow.rep_id
        ),
        deals AS (
            SELECT d.owner AS rep, count(*) AS opportunities,
                   count(*) FILTER (WHERE d.outcome = 'won') AS won,
                   count(*) FILTER (WHERE d.outcome = 'lost') AS lost,
                   round(coalesce(sum(d.amount) FILTER (WHERE d.outcome = 'won'), 0), 2)
                       AS won_revenue,
                   round(coalesce(sum(d.amount), 0), 2) AS pipeline
            FROM ({deal_scope(q, ctx.engine)}) AS d WHERE d.owner IS NOT NULL GROUP BY d.owner
        ),
        everyone AS (
            SELECT rep FROM v UNION SELECT rep FROM speed UNION SELECT rep FROM owned
            UNION SELECT rep FROM deals
        )
        SELECT e.rep, r.name, r.team,
               coalesce(d.won_revenue, 0) AS won_revenue,
               coalesce(d.pipeline, 0) AS pipeline,
               coalesce(d.opportunities, 0) AS opportunities,
               coalesce(d.won, 0) AS won, coalesce(d.lost, 0) AS lost,
               {ratio("d.won", "d.won + d.lost")} AS win_rate,
               coalesce(o.mqls_owned, 0) AS mqls_owned,
               {ratio("o.became_pipeline", "o.mqls_owned")} AS mql_to_pipeline_rate,
               {ratio("o.sqls", "o.mqls_owned")} AS sql_rate,
               coalesce(v.accepted, 0) AS accepted, coalesce(v.rejected, 0) AS rejected,
               coalesce(v.recycled, 0) AS recycled,
               {ratio("v.accepted", "v.accepted + v.rejected + v.recycled")} AS acceptance_rate,
               v.median_hours_to_verdict,
               coalesce(sp.speed_clocks, 0) AS speed_clocks, sp.median_minutes_to_touch,
               sp.within_sla_rate, coalesce(sp.breaches, 0) AS breaches
        FROM everyone AS e
        LEFT JOIN reps AS r ON r.rep_id = e.rep
        LEFT JOIN v USING (rep) LEFT JOIN speed AS sp USING (rep)
        LEFT JOIN owned AS o USING (rep) LEFT JOIN deals AS d USING (rep)
        {
        "WHERE e.rep IN (SELECT rep_id FROM reps WHERE $rep IN (rep_id, name, email)) "
        "OR e.rep = $rep"
        if q.segment.rep is not None
        else ""
    }
        ORDER BY won_revenue DESC, pipeline DESC, e.rep"""
    rows = ctx.fetch(sql)
    won = sum(r["won"] for r in rows)
    lost = sum(r["lost"] for r in rows)
    summary = {
        "won_revenue": round(sum(r["won_revenue"] for r in rows), 2),
        "pipeline": round(sum(r["pipeline"] for r in rows), 2),
        "won": won,
        "lost": lost,
        "win_rate": round(won / (won + lost), 4) if won + lost else None,
        "accepted": sum(r["accepted"] for r in rows),
        "rejected": sum(r["rejected"] for r in rows),
        "breaches": sum(r["breaches"] for r in rows),
        "reps": len(rows),
    }
    return ReportResult("reps", REPORT.title, q, summary, {"reps": rows})


REPORT = Report(
    name="reps",
    title="Reps: acceptance, follow-up speed and conversion per rep",
    description=(
        "For each rep: the deals they own (won revenue, win rate), the MQLs they own and how "
        "many became pipeline, how they disposition MQLs (acceptance rate, hours from MQL to "
        "verdict), and how fast they follow up (minutes to first touch, share within the "
        "SLA, breaches)."
    ),
    window=(
        "deals created, verdicts given, clocks started and owned leads' first MQL in the window"
    ),
    compute=compute,
    roles=("marketing", "sales"),
    tables=(
        Table(
            "reps",
            "One row per rep, best revenue first.",
            (
                Column("rep", "text", "rep id (or the name the data used)"),
                Column("name", "text", "rep name"),
                Column("team", "text", "team"),
                Column("won_revenue", "money", "amount of their deals won"),
                Column("pipeline", "money", "amount of all their deals"),
                Column("opportunities", "count", "deals they own"),
                Column("won", "count", "won deals"),
                Column("lost", "count", "lost deals"),
                Column("win_rate", "rate", "won / (won + lost)"),
                Column("mqls_owned", "count", "MQLs they own"),
                Column("mql_to_pipeline_rate", "rate", "owned MQLs that reached opportunity"),
                Column("sql_rate", "rate", "owned MQLs that reached SQL or later"),
                Column("accepted", "count", "MQLs they accepted"),
                Column("rejected", "count", "MQLs they rejected"),
                Column("recycled", "count", "MQLs they sent back to nurture"),
                Column("acceptance_rate", "rate", "accepted / all their verdicts"),
                Column("median_hours_to_verdict", "number", "median hours from MQL to verdict"),
                Column("speed_clocks", "count", "speed-to-lead clocks for them"),
                Column("median_minutes_to_touch", "number", "median minutes to first touch"),
                Column("within_sla_rate", "rate", "clocks stopped within the SLA / clocks"),
                Column("breaches", "count", "speed-to-lead breaches"),
            ),
        ),
    ),
    summary=(
        Column("won_revenue", "money", "sum over reps"),
        Column("pipeline", "money", "sum over reps"),
        Column("won", "count", "sum over reps"),
        Column("lost", "count", "sum over reps"),
        Column("win_rate", "rate", "won / (won + lost)"),
        Column("accepted", "count", "sum over reps"),
        Column("rejected", "count", "sum over reps"),
        Column("breaches", "count", "sum over reps"),
        Column("reps", "count", "reps shown"),
    ),
)
