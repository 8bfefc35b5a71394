"""Starting SLA clocks for new assignments, set-based.

Each assignment gets up to two clocks: ``speed_to_lead`` (MQL → first touch,
budget by priority, then grade, then ``default``) and ``accept`` (MQL →
accepted or rejected).  A clock runs in the owning rep's time zone (the
contract's zone when the rep has none, or an unknown one); its due moment is
computed once, in SQL, from the business calendar, so finding breaches later
is a plain comparison.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leadline.contract.schema import Contract
from leadline.scoring.common import lit
from leadline.sla.calendar import Calendar, due_sql, segments_table
from leadline.store.base import Engine

SPEED_TO_LEAD, ACCEPT = "speed_to_lead", "accept"


def _valid_zone(name: str) -> bool:
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        return False
    return True


def budgets(contract: Contract, calendar: Calendar) -> list[tuple[str, str, str, float]]:
    """``(kind, key, written, working seconds)`` rows; key is a priority, grade or default."""
    sla = contract.sla
    if sla is None:
        return []
    rows = [
        (SPEED_TO_LEAD, key, text, calendar.budget_seconds(text))
        for key, text in sla.speed_to_lead.items()
    ]
    if sla.accept_within:
        rows.append(
            (ACCEPT, "default", sla.accept_within, calendar.budget_seconds(sla.accept_within))
        )
    return rows


def start_clocks(
    engine: Engine, contract: Contract, version: str, assignments: str, now: datetime
) -> None:
    """Start clocks for every row of ``assignments`` (a table or subquery with
    assignment_id, lead_id, rep_id, mql_transition_id, priority, clock_start).

    Run it inside the caller's transaction.
    """
    calendar = Calendar.from_contract(contract)
    rows = budgets(contract, calendar)
    if not rows:
        return
    span = engine.fetch(
        f"""SELECT min(n.clock_start), max(n.clock_start), list(DISTINCT r.timezone)
        FROM {assignments} AS n LEFT JOIN reps AS r ON r.rep_id = n.rep_id"""
    )
    first, last, zones = span[0] if span else (None, None, None)
    if first is None:
        return
    valid = sorted({z for z in (zones or []) if z and _valid_zone(str(z))})
    default = calendar.default_zone
    # A rep's zone when it is a real one, else the contract's (never a clock without a due).
    zone = "CASE WHEN r.timezone = ANY($zones) THEN r.timezone ELSE $default END"
    budget_rows = ", ".join(
        f"({lit(kind)}, {lit(key)}, {lit(text)}, {lit(float(seconds))})"
        for kind, key, text, seconds in rows
    )
    params: dict[str, Any] = {"default": default, "zones": valid or [""]}
    # The budget: the priority's (A1), else the grade's (A), else the default.
    engine.execute(
        f"""CREATE TEMP TABLE _ll_clk_in AS
        WITH b(kind, key, written, seconds) AS (VALUES {budget_rows})
        SELECT row_number() OVER (ORDER BY n.assignment_id, k.kind) AS key,
               n.assignment_id, n.lead_id, n.rep_id, n.mql_transition_id, n.priority,
               k.kind, {zone} AS zone, n.clock_start AS started_at,
               coalesce(bp.written, bg.written, bd.written) AS budget,
               coalesce(bp.seconds, bg.seconds, bd.seconds) AS budget_s
        FROM {assignments} AS n
        LEFT JOIN reps AS r ON r.rep_id = n.rep_id
        CROSS JOIN (SELECT DISTINCT kind FROM b) AS k
        LEFT JOIN b AS bp ON bp.kind = k.kind AND bp.key = n.priority
        LEFT JOIN b AS bg ON bg.kind = k.kind AND bg.key = substr(n.priority, 1, 1)
        LEFT JOIN b AS bd ON bd.kind = k.kind AND bd.key = 'default'
        WHERE coalesce(bp.seconds, bg.seconds, bd.seconds) IS NOT NULL""",
        params,
    )
    longest = max(seconds for *_, seconds in rows)
    segments = segments_table(calendar, [*valid, default], first, last, longest)
    engine.register_arrow("_ll_clk_segments", segments)
    try:
        engine.execute(
            f"""INSERT INTO sla_clocks (clock_id, lead_id, kind, assignment_id,
                mql_transition_id, rep_id, priority, timezone, budget, budget_seconds,
                started_at, due_at, contract_version)
            SELECT nextval('seq_sla_clock'), c.lead_id, c.kind, c.assignment_id,
                c.mql_transition_id, c.rep_id, c.priority, c.zone, c.budget, c.budget_s,
                c.started_at, d.due_at, $version
            FROM _ll_clk_in AS c
            JOIN ({due_sql("_ll_clk_in", "_ll_clk_segments")}) AS d ON d.key = c.key
            ORDER BY c.key""",
            {"version": version},
        )
    finally:
        engine.unregister("_ll_clk_segments")
    engine.execute("DROP TABLE IF EXISTS _ll_clk_in")
    # A rep may have touched the lead before routing caught up with it.
    stop_from_touches(engine, now, assignments=assignments)


def stop_from_touches(engine: Engine, now: datetime, *, assignments: str | None = None) -> None:
    """Stop open speed-to-lead clocks whose lead was touched at or after the clock started
    (only the clocks of ``assignments``, a table of new ones, when given)."""
    only = (
        f"AND c.assignment_id IN (SELECT assignment_id FROM {assignments})" if assignments else ""
    )
    engine.execute(
        f"""UPDATE sla_clocks SET stopped_at = t.touched_at, stopped_by = 'first_touch'
        FROM (
            SELECT c.clock_id, min(f.touched_at) AS touched_at
            FROM sla_clocks AS c
            JOIN first_touches AS f ON f.lead_id = c.lead_id
             AND f.touched_at >= c.started_at AND f.touched_at <= $now
            WHERE c.stopped_at IS NULL AND c.kind = 'speed_to_lead' {only}
            GROUP BY c.clock_id
        ) AS t
        WHERE sla_clocks.clock_id = t.clock_id""",
        {"now": now},
    )


def stop_from_stage_moves(engine: Engine, now: datetime) -> None:
    """Any stage change after the MQL (accept, reject, recycle…) answers both clocks."""
    engine.execute(
        """UPDATE sla_clocks SET stopped_at = m.changed_at, stopped_by = m.how
        FROM (
            SELECT clock_id, changed_at, how FROM (
                SELECT c.clock_id, h.changed_at,
                       CASE WHEN h.disposition_id IS NOT NULL THEN 'disposition:' || h.to_stage
                            ELSE 'stage:' || h.to_stage END AS how,
                       row_number() OVER (PARTITION BY c.clock_id
                                          ORDER BY h.changed_at, h.transition_id) AS rn
                FROM sla_clocks AS c
                JOIN stage_history AS h ON h.lead_id = c.lead_id
                 AND h.transition_id <> c.mql_transition_id
                 AND h.changed_at >= c.started_at AND h.changed_at <= $now
                 AND h.from_stage = 'mql'
                WHERE c.stopped_at IS NULL
            ) AS x WHERE rn = 1
        ) AS m
        WHERE sla_clocks.clock_id = m.clock_id""",
        {"now": now},
    )
