"""What each replayed contract would have done, measured against what really happened.

All set-based SQL over the scratch store's ``bt_transitions`` (the replayed
moves, labelled by contract) and the real opportunities:

* **volume** — MQL moves in the window (first-time and re-qualified), per
  step at the peak, and per rep per day against the team's capacity;
* **recall** — of the *eventual opportunities* (leads whose first
  opportunity opened on or after the window's start, created by its end),
  the share the contract made an MQL before (or when) that opportunity
  opened, and the same for pipeline amount and won revenue;
* **precision** — the share of the contract's MQL leads that later opened an
  opportunity (pipeline);
* **timing** — median days from MQL to opportunity, and for eventual
  opportunities both contracts caught, how much earlier or later the
  candidate was (median, and how many earlier / later / same);
* **flips** — leads only one of the two contracts made an MQL.

Capacity: the reps table's active reps; a rep's follow-up capacity per day
is their open-MQL capacity (``reps.capacity``) divided by the contract's
accept deadline (``sla.accept_within``, in working days; one day when the
contract sets none) — a rep who may hold 25 open MQLs and must answer each
within a day can take 25 a day.  ``capacity``/``reps`` options override both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from leadline.contract.schema import Contract
from leadline.store.base import Engine

DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


@dataclass(frozen=True)
class Team:
    reps: int
    capacity_per_rep_per_day: float | None
    basis: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "reps": self.reps,
            "capacity_per_rep_per_day": None
            if self.capacity_per_rep_per_day is None
            else round(self.capacity_per_rep_per_day, 2),
            "basis": self.basis,
        }


def _accept_days(contract: Contract) -> tuple[float, str]:
    """The accept deadline in working days (1 when the contract sets none)."""
    sla = getattr(contract, "sla", None)
    within = getattr(sla, "accept_within", None) if sla is not None else None
    if not within:
        return 1.0, "no sla.accept_within: one working day"
    match = DURATION.match(str(within))
    if not match:
        return 1.0, f"sla.accept_within {within!r} not understood: one working day"
    value, unit = float(match.group(1)), match.group(2)
    hours = getattr(sla, "business_hours", None)
    day_hours = 8.0
    if hours is not None:
        h0, m0 = (int(x) for x in str(hours.start).split(":"))
        h1, m1 = (int(x) for x in str(hours.end).split(":"))
        span = ((h1 * 60 + m1) - (h0 * 60 + m0)) % (24 * 60)
        day_hours = span / 60 or 24.0
    per_day = {"s": 3600 * day_hours, "m": 60 * day_hours, "h": day_hours, "d": 1.0}[unit]
    return value / per_day, f"sla.accept_within {within}"


def team(scratch: Engine, contract: Contract, *, reps: int | None, capacity: float | None) -> Team:
    """How many reps follow MQLs up, and how many new MQLs each can take per day."""
    active, avg_capacity = scratch.fetch(
        "SELECT count(*), avg(capacity) FROM reps WHERE coalesce(active, TRUE)"
    )[0]
    count = reps if reps is not None else int(active or 0)
    if capacity is not None:
        return Team(count, capacity, "--capacity")
    open_capacity = float(avg_capacity) if avg_capacity is not None else None
    routing = getattr(contract, "routing", None)
    if open_capacity is None:
        default = getattr(routing, "default_capacity", None)
        open_capacity = float(default) if default is not None else None
    if open_capacity is None:
        return Team(count, None, "no capacity in the reps table or routing.default_capacity")
    days, why = _accept_days(contract)
    return Team(
        count,
        open_capacity / days,
        f"open-MQL capacity {open_capacity:g} per rep ÷ {days:g} working day(s) ({why})",
    )


def _first_mqls(label: str, since: str = "$start") -> str:
    """Each lead's first MQL move (and how many) between ``since`` and the window's end.

    Volume counts moves inside the window (``$start``); whether an eventual
    opportunity was caught, and flips, look from the replay's start
    (``$replay_start``: a lead qualified during the warm-up was qualified).
    """
    return f"""(SELECT lead_id, min(changed_at) AS mql_at, count(*) AS moves
        FROM bt_transitions WHERE contract = '{label}' AND to_stage = 'mql'
          AND changed_at >= {since} AND changed_at <= $end GROUP BY lead_id)"""


_EVENTUAL = """(SELECT coalesce(l.merged_into, o.lead_id) AS lead_id,
        min(o.created_at) AS opened_at,
        coalesce(sum(o.amount), 0) AS pipeline,
        coalesce(sum(o.amount) FILTER (WHERE o.stage = 'won'), 0) AS won
    FROM opportunities AS o JOIN leads AS l ON l.lead_id = o.lead_id
    WHERE o.created_at IS NOT NULL
    GROUP BY 1
    HAVING min(o.created_at) >= $start)"""

_LATER_OPPS = """(SELECT coalesce(l.merged_into, o.lead_id) AS lead_id, o.created_at
    FROM opportunities AS o JOIN leads AS l ON l.lead_id = o.lead_id
    WHERE o.created_at IS NOT NULL)"""


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def contract_metrics(
    scratch: Engine,
    label: str,
    start: datetime,
    end: datetime,
    step: timedelta,
    crew: Team,
    replay_start: datetime | None = None,
) -> dict[str, Any]:
    """Every figure for one replayed contract."""
    params = {"start": start, "end": end, "replay_start": replay_start or start}
    mqls = _first_mqls(label)
    ever = _first_mqls(label, "$replay_start")
    volume = scratch.fetch_dicts(
        f"""SELECT count(*) AS mql_leads, CAST(coalesce(sum(moves), 0) AS BIGINT) AS mql_moves
        FROM {mqls} AS m""",
        params,
    )[0]
    per_step = scratch.fetch(
        f"""SELECT CAST(floor((epoch(changed_at) - epoch(CAST($start AS TIMESTAMP)))
                / {step.total_seconds()!r}) AS BIGINT) AS bucket, count(*)
        FROM bt_transitions WHERE contract = '{label}' AND to_stage = 'mql'
          AND changed_at >= $start AND changed_at <= $end GROUP BY 1""",
        params,
    )
    days = max((end - start).total_seconds() / 86400, 1.0)
    step_days = step.total_seconds() / 86400
    peak = max((int(n) for _, n in per_step), default=0)
    caught = scratch.fetch_dicts(
        f"""SELECT count(*) AS eventual, count(m.lead_id) AS caught,
            sum(e.pipeline) AS pipeline, sum(e.pipeline) FILTER (WHERE m.lead_id IS NOT NULL)
                AS pipeline_caught,
            sum(e.won) AS won, sum(e.won) FILTER (WHERE m.lead_id IS NOT NULL) AS won_caught,
            median(epoch(e.opened_at) - epoch(m.mql_at)) / 86400.0 AS median_days_ahead
        FROM {_EVENTUAL} AS e
        JOIN leads AS l ON l.lead_id = e.lead_id AND (l.created_at IS NULL OR l.created_at <= $end)
        LEFT JOIN {ever} AS m ON m.lead_id = e.lead_id AND m.mql_at <= e.opened_at""",
        params,
    )[0]
    became = int(
        scratch.scalar(
            f"""SELECT count(*) FROM {mqls} AS m WHERE EXISTS (SELECT 1 FROM {_LATER_OPPS} AS o
                WHERE o.lead_id = m.lead_id AND o.created_at >= m.mql_at)""",
            params,
        )
        or 0
    )
    reps = crew.reps or 0
    per_rep_day = volume["mql_moves"] / days / reps if reps else None
    peak_per_rep_day = peak / step_days / reps if reps else None
    over = None
    if crew.capacity_per_rep_per_day is not None and reps:
        limit = crew.capacity_per_rep_per_day * reps * step_days
        over = sum(1 for _, n in per_step if int(n) > limit)
    median_ahead = caught["median_days_ahead"]
    return {
        "mql_moves": int(volume["mql_moves"]),
        "mql_leads": int(volume["mql_leads"]),
        "mqls_per_day": round(volume["mql_moves"] / days, 3),
        "mqls_per_rep_per_day": None if per_rep_day is None else round(per_rep_day, 3),
        "peak_step_mqls": peak,
        "peak_mqls_per_rep_per_day": None
        if peak_per_rep_day is None
        else round(peak_per_rep_day, 3),
        "steps_over_capacity": over,
        "eventual_opportunities": int(caught["eventual"]),
        "opportunities_caught": int(caught["caught"]),
        "recall_opportunities": _ratio(caught["caught"], caught["eventual"]),
        "recall_pipeline": _ratio(caught["pipeline_caught"] or 0, caught["pipeline"] or 0),
        "recall_won_revenue": _ratio(caught["won_caught"] or 0, caught["won"] or 0),
        "won_revenue_caught": round(float(caught["won_caught"] or 0), 2),
        "mql_leads_to_pipeline": became,
        "precision_pipeline": _ratio(became, volume["mql_leads"]),
        "median_days_mql_before_opportunity": None
        if median_ahead is None
        else round(float(median_ahead), 2),
    }


def comparison(
    scratch: Engine,
    start: datetime,
    end: datetime,
    *,
    limit: int,
    replay_start: datetime | None = None,
) -> dict[str, Any]:
    """Timing of common catches and the leads that flip between the two contracts."""
    params: dict[str, Any] = {
        "start": start,
        "end": end,
        "limit": limit,
        "replay_start": replay_start or start,
    }
    cur = _first_mqls("current", "$replay_start")
    cand = _first_mqls("candidate", "$replay_start")
    timing = scratch.fetch_dicts(
        f"""SELECT count(*) AS both_caught,
            median(epoch(b.mql_at) - epoch(a.mql_at)) / 86400.0 AS median_days_later,
            count(*) FILTER (WHERE b.mql_at < a.mql_at) AS earlier,
            count(*) FILTER (WHERE b.mql_at > a.mql_at) AS later,
            count(*) FILTER (WHERE b.mql_at = a.mql_at) AS same
        FROM {_EVENTUAL} AS e
        JOIN {cur} AS a ON a.lead_id = e.lead_id AND a.mql_at <= e.opened_at
        JOIN {cand} AS b ON b.lead_id = e.lead_id AND b.mql_at <= e.opened_at""",
        params,
    )[0]
    flips_sql = f"""SELECT coalesce(a.lead_id, b.lead_id) AS lead_id,
            CASE WHEN a.lead_id IS NULL THEN 'gained' ELSE 'lost' END AS flip,
            coalesce(b.mql_at, a.mql_at) AS mql_at,
            (SELECT min(o.created_at) FROM {_LATER_OPPS} AS o
             WHERE o.lead_id = coalesce(a.lead_id, b.lead_id)
               AND o.created_at >= coalesce(b.mql_at, a.mql_at)) AS opportunity_at
        FROM {cur} AS a FULL JOIN {cand} AS b ON a.lead_id = b.lead_id
        WHERE a.lead_id IS NULL OR b.lead_id IS NULL"""
    counts = scratch.fetch_dicts(
        f"""SELECT count(*) FILTER (WHERE flip = 'gained') AS gained,
            count(*) FILTER (WHERE flip = 'gained' AND opportunity_at IS NOT NULL)
                AS gained_to_pipeline,
            count(*) FILTER (WHERE flip = 'lost') AS lost,
            count(*) FILTER (WHERE flip = 'lost' AND opportunity_at IS NOT NULL)
                AS lost_to_pipeline
        FROM ({flips_sql}) AS f""",
        params,
    )[0]
    leads = scratch.fetch_dicts(
        f"""SELECT f.lead_id, l.email, l.company, f.flip, f.mql_at, f.opportunity_at
        FROM ({flips_sql}) AS f JOIN leads AS l ON l.lead_id = f.lead_id
        ORDER BY (f.opportunity_at IS NULL), f.flip, f.mql_at, f.lead_id LIMIT $limit""",
        params,
    )
    median = timing["median_days_later"]
    return {
        "timing": {
            "both_caught": int(timing["both_caught"]),
            "median_days_candidate_later": None if median is None else round(float(median), 2),
            "candidate_earlier": int(timing["earlier"] or 0),
            "candidate_later": int(timing["later"] or 0),
            "same_time": int(timing["same"] or 0),
        },
        "flips": {k: int(v or 0) for k, v in counts.items()},
        "flipped_leads": leads,
    }


def history_check(scratch: Engine, start: datetime, end: datetime) -> dict[str, int]:
    """Replayed MQL moves of the contract in force vs the real ones in the window."""
    params = {"start": start, "end": end}
    key = "lead_id, from_stage, to_stage, changed_at"
    replayed = (
        f"SELECT {key} FROM bt_transitions WHERE contract = 'current' AND source = 'score' "
        "AND to_stage = 'mql' AND changed_at >= $start AND changed_at <= $end"
    )
    real = f"SELECT {key} FROM _bt_real_mqls WHERE changed_at >= $start AND changed_at <= $end"
    row = scratch.fetch(
        f"""SELECT (SELECT count(*) FROM ({real}) AS r),
            (SELECT count(*) FROM ({replayed}) AS p),
            (SELECT count(*) FROM (({real}) INTERSECT ALL ({replayed})) AS i)""",
        params,
    )[0]
    return {
        "real_mql_moves": int(row[0]),
        "replayed_mql_moves": int(row[1]),
        "identical": int(row[2]),
    }
