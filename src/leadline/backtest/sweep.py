"""``backtest --sweep-threshold``: MQL volume vs captured pipeline vs capacity, per threshold.

The score does not depend on the MQL threshold, so one snapshot query per
step serves every threshold: each lead that could still become an MQL for
the first time (no stage history yet, no opportunity opened) gets, at each
step, the highest threshold it would pass — its score when it is not
excluded and its grade is good enough, any threshold when a trigger fired.
A lead then qualifies under threshold ``x`` at the first step where that
value is at least ``x``.  Lowering the threshold can only add qualifying
(lead, step) pairs, so volume never falls as the threshold falls.

For each threshold: first-time MQLs in the window, the peak step's MQLs per
rep per day against capacity, the eventual opportunities (and their
pipeline and won revenue) caught before they opened, and the share of its
MQLs that became pipeline.  The recommendation is the threshold that catches
the most pipeline while the peak step stays within the team's capacity
(the higher threshold on a tie).  Re-qualification after recycling is left
out: it depends on sales' dispositions, which a sweep cannot know.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from leadline.backtest.metrics import _EVENTUAL, _LATER_OPPS, Team
from leadline.contract.compiler import CompiledContract
from leadline.lifecycle.history import STAGE_AS_OF_SQL
from leadline.store.base import Engine

GRADES = ("A", "B", "C", "D")
ALWAYS = 1e300  # a trigger qualifies at any threshold


def default_thresholds(min_score: float, count: int = 16) -> list[float]:
    """From a quarter to two and a half times the contract's threshold, and the threshold."""
    low, high = min_score * 0.25, min_score * 2.5
    if min_score <= 0:
        low, high = 0.0, 100.0
    step = (high - low) / (count - 1)
    values = {round(low + step * i, 1) for i in range(count)} | {round(min_score, 1)}
    return sorted(values)


def _collect(scratch: Engine, compiled: CompiledContract, moments: list[datetime]) -> None:
    """Per step, the eligible leads, the highest threshold each would pass, and when.

    Eligibility and dating follow the replay exactly: a lead can become an MQL
    while it has no stage history and no opportunity opened by the previous
    step (the CRM move to pipeline is applied after the MQL check), and it is
    dated at its last activity since the previous step (the step itself when
    there was none, or at the first step).
    """
    mql = compiled.contract.stages.mql
    worst = GRADES.index(mql.min_grade)
    grades = ", ".join(f"'{g}'" for g in GRADES[: worst + 1])
    query = scratch.render(compiled.snapshot_query())
    scratch.execute(
        "CREATE OR REPLACE TABLE _bt_sweep "
        "(lead_id VARCHAR, step_at TIMESTAMP, qualified_at TIMESTAMP, passes DOUBLE)"
    )
    since: datetime | None = None
    for at in moments:
        scratch.execute(
            f"""INSERT INTO _bt_sweep
            SELECT s.lead_id, CAST($as_of AS TIMESTAMP),
                CASE WHEN $since IS NOT NULL AND act.last_activity > $since
                     THEN act.last_activity ELSE CAST($as_of AS TIMESTAMP) END,
                CASE WHEN s.trigger_rule IS NOT NULL THEN {ALWAYS!r} ELSE s.score END
            FROM ({query}) AS s
            LEFT JOIN ({STAGE_AS_OF_SQL}) AS h ON h.lead_id = s.lead_id
            LEFT JOIN (
                SELECT coalesce(l.merged_into, a.lead_id) AS lead_id,
                    max(a.occurred_at) AS last_activity
                FROM activities AS a LEFT JOIN leads AS l ON l.lead_id = a.lead_id
                WHERE a.occurred_at <= $as_of GROUP BY 1
            ) AS act ON act.lead_id = s.lead_id
            WHERE s.excluded_reason IS NULL AND h.lead_id IS NULL
              AND (s.trigger_rule IS NOT NULL OR s.grade IN ({grades}))
              AND NOT EXISTS (SELECT 1 FROM {_LATER_OPPS} AS o
                  WHERE o.lead_id = s.lead_id AND o.created_at <= $since)""",
            {"as_of": at, "since": since},
        )
        since = at


def sweep(
    scratch: Engine,
    compiled: CompiledContract,
    moments: list[datetime],
    thresholds: list[float],
    step: timedelta,
    crew: Team,
    *,
    start: datetime | None = None,
) -> dict[str, Any]:
    """The volume / pipeline / capacity curve and the recommended threshold.

    ``start`` is the window's start when the replay began earlier (warm-up):
    volume counts MQLs from there, while a lead qualified during the warm-up
    still counts as having caught its opportunity.
    """
    end = moments[-1]
    start = start or moments[0]
    _collect(scratch, compiled, moments)
    scratch.register_arrow(
        "_ll_thresholds", pa.table({"threshold": pa.array(thresholds, pa.float64())})
    )
    try:
        scratch.execute(
            """CREATE OR REPLACE TEMP TABLE _bt_first AS
            SELECT t.threshold, r.lead_id, min(r.qualified_at) AS mql_at
            FROM _bt_sweep AS r JOIN _ll_thresholds AS t ON r.passes >= t.threshold
            GROUP BY 1, 2"""
        )
        buckets = f"""CAST(floor((epoch(mql_at) - epoch(CAST($start AS TIMESTAMP)))
            / {step.total_seconds()!r}) AS BIGINT)"""
        rows = scratch.fetch_dicts(
            f"""WITH per_step AS (
                SELECT threshold, {buckets} AS bucket, count(*) AS n FROM _bt_first
                WHERE mql_at >= $start GROUP BY 1, 2
            ), caught AS (
                SELECT f.threshold, count(*) AS caught, sum(e.pipeline) AS pipeline,
                    sum(e.won) AS won
                FROM _bt_first AS f JOIN {_EVENTUAL} AS e
                    ON e.lead_id = f.lead_id AND f.mql_at <= e.opened_at
                GROUP BY 1
            ), became AS (
                SELECT f.threshold, count(*) AS to_pipeline FROM _bt_first AS f
                WHERE f.mql_at >= $start AND EXISTS (SELECT 1 FROM {_LATER_OPPS} AS o
                    WHERE o.lead_id = f.lead_id AND o.created_at >= f.mql_at)
                GROUP BY 1
            )
            SELECT t.threshold,
                (SELECT count(*) FROM _bt_first AS f
                 WHERE f.threshold = t.threshold AND f.mql_at >= $start) AS mqls,
                coalesce((SELECT max(n) FROM per_step AS p WHERE p.threshold = t.threshold), 0)
                    AS peak_step_mqls,
                coalesce(c.caught, 0) AS opportunities_caught,
                coalesce(c.pipeline, 0) AS pipeline_caught,
                coalesce(c.won, 0) AS won_caught,
                coalesce(b.to_pipeline, 0) AS mqls_to_pipeline
            FROM _ll_thresholds AS t
            LEFT JOIN caught AS c ON c.threshold = t.threshold
            LEFT JOIN became AS b ON b.threshold = t.threshold
            ORDER BY t.threshold""",
            {"start": start, "end": end},
        )
        totals = scratch.fetch_dicts(
            f"""SELECT count(*) AS eventual, coalesce(sum(pipeline), 0) AS pipeline
            FROM {_EVENTUAL} AS e JOIN leads AS l ON l.lead_id = e.lead_id
            WHERE l.created_at IS NULL OR l.created_at <= $end""",
            {"start": start, "end": end},
        )[0]
    finally:
        scratch.unregister("_ll_thresholds")
        scratch.execute("DROP TABLE IF EXISTS _bt_sweep")
    step_days = step.total_seconds() / 86400
    days = max((end - start).total_seconds() / 86400, 1.0)
    limit = (
        crew.capacity_per_rep_per_day * crew.reps
        if crew.capacity_per_rep_per_day is not None and crew.reps
        else None
    )
    curve = []
    for r in rows:
        peak_per_day = r["peak_step_mqls"] / step_days
        curve.append(
            {
                "threshold": r["threshold"],
                "mqls": int(r["mqls"]),
                "mqls_per_day": round(r["mqls"] / days, 3),
                "peak_mqls_per_rep_per_day": round(peak_per_day / crew.reps, 3)
                if crew.reps
                else None,
                "within_capacity": None if limit is None else peak_per_day <= limit,
                "opportunities_caught": int(r["opportunities_caught"]),
                "recall_opportunities": round(r["opportunities_caught"] / totals["eventual"], 4)
                if totals["eventual"]
                else None,
                "pipeline_caught": round(float(r["pipeline_caught"]), 2),
                "won_revenue_caught": round(float(r["won_caught"]), 2),
                "precision_pipeline": round(r["mqls_to_pipeline"] / r["mqls"], 4)
                if r["mqls"]
                else None,
            }
        )
    return {
        "eventual_opportunities": int(totals["eventual"]),
        "eventual_pipeline": round(float(totals["pipeline"]), 2),
        "team": crew.to_dict(),
        "curve": curve,
        "recommendation": recommend(curve),
    }


def recommend(curve: list[dict[str, Any]]) -> dict[str, Any]:
    """The threshold catching the most pipeline within capacity (higher on ties)."""
    fits = [c for c in curve if c["within_capacity"] is not False]
    if not fits:
        top = max(curve, key=lambda c: c["threshold"])
        return {
            "threshold": top["threshold"],
            "why": "no threshold in the range keeps the peak within capacity; this is the "
            "highest one tried (raise the range or add reps)",
        }
    best = max(fits, key=lambda c: (c["pipeline_caught"], c["threshold"]))
    capped = any(c["within_capacity"] is False for c in curve)
    why = (
        f"catches {best['opportunities_caught']} eventual opportunities "
        f"({best['pipeline_caught']:,.0f} pipeline) "
        + (
            "with the peak step within the team's capacity"
            if capped or best["within_capacity"]
            else "(capacity unknown: pass --capacity to bound it)"
        )
    )
    return {"threshold": best["threshold"], "why": why}
