"""The first numbers anyone asks for: where leads stand, and which channels pay.

``leadline demo`` prints these. ``funnel`` and ``channels`` are the reports of
the same names (:mod:`leadline.analytics.reports`), so the demo, ``leadline
report``, the API and the dashboard cannot disagree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leadline.analytics.query import ReportQuery
from leadline.analytics.registry import run_report
from leadline.contract.schema import STAGES
from leadline.lifecycle.history import STAGE_AS_OF_SQL
from leadline.store.base import Engine

# What the demo shows of the channels report (the full report has more columns).
CHANNEL_COLUMNS = (
    "channel",
    "won_revenue",
    "pipeline",
    "opportunities",
    "cost",
    "cost_per_opportunity",
    "roi",
    "leads",
    "mqls",
)


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
    """Leads that ever reached each funnel stage (the ``funnel`` report's stages table)."""
    return run_report(engine, "funnel", ReportQuery(as_of=as_of)).table("stages")


def channels(engine: Engine, as_of: datetime) -> list[dict[str, Any]]:
    """Per channel, by won revenue (the ``channels`` report), as ``leadline demo`` shows it."""
    rows = run_report(engine, "channels", ReportQuery(as_of=as_of)).table("groups")
    return [{k: row[k] for k in CHANNEL_COLUMNS} for row in rows]


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
