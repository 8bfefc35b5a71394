"""The first numbers anyone asks for: where leads stand, and which channels pay.

Reports lead with pipeline and revenue per channel and cost per opportunity;
MQL counts are context, not the goal.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leadline.contract.schema import STAGES
from leadline.lifecycle.history import STAGE_AS_OF_SQL
from leadline.store.base import Engine

FUNNEL = ("lead", "mql", "sal", "sql", "opportunity", "won")
# A lead that reached a later stage has passed the earlier ones for funnel
# purposes, even when the CRM jumped it straight into pipeline.
_RANK = {"lead": 0, "mql": 1, "sal": 2, "sql": 3, "opportunity": 4, "won": 5, "lost": 4}


def stage_counts(engine: Engine, as_of: datetime) -> list[dict[str, Any]]:
    rows = dict(
        engine.fetch(
            f"""SELECT coalesce(h.stage, 'lead') AS stage, count(*)
            FROM leads AS l LEFT JOIN ({STAGE_AS_OF_SQL}) AS h USING (lead_id)
            WHERE l.merged_into IS NULL GROUP BY 1""",
            {"as_of": as_of},
        )
    )
    return [{"stage": s, "leads": int(rows.get(s, 0))} for s in STAGES]


def funnel(engine: Engine, as_of: datetime) -> list[dict[str, Any]]:
    """Leads that ever reached each funnel stage, and conversion from the previous one."""
    rank_case = " ".join(f"WHEN '{s}' THEN {r}" for s, r in _RANK.items())
    reached = engine.fetch(
        f"""WITH best AS (
                SELECT l.lead_id, max(CASE h.to_stage {rank_case} ELSE 0 END) AS r
                FROM leads AS l
                LEFT JOIN stage_history AS h ON h.lead_id = l.lead_id AND h.changed_at <= $as_of
                WHERE l.merged_into IS NULL
                GROUP BY l.lead_id
            )
            SELECT {", ".join(f"count(*) FILTER (WHERE r >= {i})" for i in range(len(FUNNEL)))}
            FROM best""",
        {"as_of": as_of},
    )[0]
    out = []
    for i, stage in enumerate(FUNNEL):
        count = int(reached[i])
        prev = int(reached[i - 1]) if i else None
        out.append(
            {
                "stage": stage,
                "reached": count,
                "conversion_from_previous": round(count / prev, 4) if prev else None,
            }
        )
    return out


def channels(engine: Engine, as_of: datetime) -> list[dict[str, Any]]:
    """Per channel: leads, MQLs, opportunities, pipeline, won revenue, cost, cost per opp."""
    return engine.fetch_dicts(
        """WITH lead_channel AS (
                SELECT lead_id, coalesce(channel, 'unknown') AS channel
                FROM leads
                WHERE merged_into IS NULL AND (created_at IS NULL OR created_at <= $as_of)
            ),
            mqls AS (
                SELECT DISTINCT lead_id FROM stage_history
                WHERE to_stage = 'mql' AND changed_at <= $as_of
            ),
            opps AS (
                SELECT coalesce(l.merged_into, o.lead_id) AS lead_id, o.amount, o.stage, o.closed_at
                FROM opportunities AS o JOIN leads AS l ON l.lead_id = o.lead_id
                WHERE o.created_at <= $as_of
            ),
            cost AS (
                SELECT coalesce(c.channel, 'unknown') AS channel, sum(k.cost) AS cost
                FROM campaign_costs AS k JOIN campaigns AS c USING (campaign_id)
                WHERE k.period_start <= CAST($as_of AS DATE)
                GROUP BY 1
            ),
            per_channel AS (
                SELECT lc.channel,
                       count(DISTINCT lc.lead_id) AS leads,
                       count(DISTINCT m.lead_id) AS mqls,
                       count(o.lead_id) AS opportunities,
                       coalesce(sum(o.amount), 0) AS pipeline,
                       coalesce(sum(o.amount) FILTER (
                           WHERE o.stage = 'won' AND o.closed_at <= $as_of), 0) AS won_revenue
                FROM lead_channel AS lc
                LEFT JOIN mqls AS m ON m.lead_id = lc.lead_id
                LEFT JOIN opps AS o ON o.lead_id = lc.lead_id
                GROUP BY lc.channel
            )
            SELECT p.channel, p.leads, p.mqls, p.opportunities,
                   round(p.pipeline, 0) AS pipeline, round(p.won_revenue, 0) AS won_revenue,
                   round(coalesce(c.cost, 0), 0) AS cost,
                   CASE WHEN p.opportunities > 0 THEN round(c.cost / p.opportunities, 0) END
                       AS cost_per_opportunity,
                   CASE WHEN c.cost > 0 THEN round(p.won_revenue / c.cost, 2) END AS roi
            FROM per_channel AS p LEFT JOIN cost AS c USING (channel)
            ORDER BY p.won_revenue DESC, p.pipeline DESC, p.channel""",
        {"as_of": as_of},
    )


def top_mqls(engine: Engine, limit: int = 10) -> list[dict[str, Any]]:
    """The best current MQLs from the latest score run, with their top score parts."""
    return engine.fetch_dicts(
        f"""WITH run AS (
                SELECT max(run_id) AS run_id FROM score_runs WHERE finished_at IS NOT NULL
            ),
            cur AS ({STAGE_AS_OF_SQL})
        SELECT s.lead_id, l.email, l.title, l.company, s.priority, s.grade,
               round(s.score, 1) AS score,
               (SELECT string_agg(p.rule || ' ' || CAST(round(p.points, 1) AS VARCHAR), ', '
                                  ORDER BY abs(p.points) DESC)
                FROM (SELECT * FROM score_parts AS p
                      WHERE p.run_id = s.run_id AND p.lead_id = s.lead_id AND p.points <> 0
                      ORDER BY abs(p.points) DESC LIMIT 3) AS p) AS top_reasons
        FROM score_snapshots AS s
        JOIN run USING (run_id)
        JOIN leads AS l ON l.lead_id = s.lead_id
        JOIN cur AS h ON h.lead_id = s.lead_id AND h.stage = 'mql'
        ORDER BY s.priority_rank, s.score DESC, s.lead_id
        LIMIT {int(limit)}""",
        {"as_of": datetime(9999, 1, 1)},
    )
