"""Engagement: behaviour points per activity, first matching rule wins, decayed and capped.

A few CTEs, each one GROUP BY, so ten million activities are matched once:

``_ll_eng_events``  each activity inside the lookback tagged with the index of
                    the FIRST rule (contract order) that matches it — one CASE,
                    so "first match wins" costs nothing extra — with its raw
                    points, decay factor ``0.5 ^ (age / half_life)`` and cap window.
``_ll_eng_pairs``   per (lead, rule): events, raw, decayed and positive raw sums.
``_ll_eng_capped``  only for pairs whose positive raw sum exceeds the rule's
                    cap (no window can exceed it otherwise): per (lead, rule,
                    window) the raw sum is capped to ``cap.points`` and the
                    decayed points scaled by the same ratio ``capped / raw``,
                    then summed per pair.  Splitting every pair into windows
                    would group ten million rows into millions of windows.
``_ll_eng_rules``   per (lead, rule): the explanation row (capped values where
                    a pair was split), and ``_ll_engagement`` the sum per lead.

Windows count back from T: window ``k`` holds activities with
``k * per_days <= age < (k + 1) * per_days``.
"""

from __future__ import annotations

from leadline.contract.schema import Behaviour, BehaviourRule
from leadline.scoring.common import activity_match, describe_match, lit


def _case(rules: list[BehaviourRule], column: str, pick: list[str], default: str) -> str:
    whens = " ".join(f"WHEN {i} THEN {pick[i]}" for i in range(len(rules)))
    return f"CASE {column} {whens} ELSE {default} END"


def _raw(rule: BehaviourRule) -> str:
    points = lit(float(rule.points))
    if rule.value_per_point is None:
        return points
    per = lit(float(rule.value_per_point))
    return f"{points} * coalesce(CAST(x.value AS DOUBLE), 0.0e0) / {per}"


def _decay(rule: BehaviourRule, half_life: float) -> str:
    if not rule.decay:
        return "1.0e0"
    return f"power(0.5, x.age_days / {lit(float(half_life))})"


def _bucket(rule: BehaviourRule) -> str:
    if rule.cap is None:
        return "0"
    return f"CAST(floor(x.age_days / {lit(float(rule.cap.per_days))}) AS BIGINT)"


def _cap(rule: BehaviourRule) -> str:
    return "CAST(NULL AS DOUBLE)" if rule.cap is None else lit(float(rule.cap.points))


def rule_detail(rule: BehaviourRule, half_life: float) -> str:
    text = describe_match(rule)
    if rule.cap is not None:
        text += f"; cap {rule.cap.points:g} per {rule.cap.per_days:g}d"
    text += f"; half-life {half_life:g}d" if rule.decay else "; no decay"
    if rule.value_per_point is not None:
        text += f"; 1 point per {rule.value_per_point:g} value"
    return text


def engagement_ctes(behaviour: Behaviour) -> list[tuple[str, str]]:
    """``(name, select)`` pairs; empty-but-typed CTEs when there are no rules."""
    rules = behaviour.rules
    if not rules:
        return [
            (
                "_ll_eng_rules",
                "SELECT CAST(NULL AS VARCHAR) AS lead_id, 0 AS rule_idx, "
                "CAST(0 AS BIGINT) AS events, "
                "0.0e0 AS raw_points, 0.0e0 AS capped_points, FALSE AS cap_applied, "
                "1.0e0 AS decay_factor, 0.0e0 AS points WHERE FALSE",
            ),
            (
                "_ll_engagement",
                "SELECT CAST(NULL AS VARCHAR) AS lead_id, 0.0e0 AS engagement WHERE FALSE",
            ),
        ]
    first_match = (
        "CASE "
        + " ".join(f"WHEN {activity_match(r)} THEN {i}" for i, r in enumerate(rules))
        + " END"
    )
    half = behaviour.half_life_days
    raw = _case(rules, "x.rule_idx", [_raw(r) for r in rules], "0.0e0")
    decay = _case(rules, "x.rule_idx", [_decay(r, half) for r in rules], "1.0e0")
    bucket = _case(rules, "x.rule_idx", [_bucket(r) for r in rules], "0")
    cap = _case(rules, "rule_idx", [_cap(r) for r in rules], "CAST(NULL AS DOUBLE)")
    events = (
        "SELECT x.lead_id, x.rule_idx, "
        f"{raw} AS raw_points, {raw} * {decay} AS decayed_points, {bucket} AS bucket "
        "FROM (SELECT x.lead_id, x.age_days, x.value, "
        f"{first_match} AS rule_idx FROM _ll_acts AS x "
        f"WHERE x.age_days <= {lit(float(behaviour.lookback_days))}) AS x "
        "WHERE x.rule_idx IS NOT NULL"
    )
    # Per (lead, rule) totals first: a cap can only bind where the positive raw
    # points of the pair exceed it, so only those pairs are split into windows.
    pairs = (
        f"SELECT lead_id, rule_idx, {cap} AS cap_points, count(*) AS events, "
        "sum(raw_points) AS raw_points, sum(decayed_points) AS decayed_points, "
        "sum(greatest(raw_points, 0.0e0)) AS positive_points "
        "FROM _ll_eng_events GROUP BY lead_id, rule_idx"
    )
    e_cap = _case(rules, "e.rule_idx", [_cap(r) for r in rules], "CAST(NULL AS DOUBLE)")
    buckets = (
        "SELECT lead_id, rule_idx, sum(capped_points) AS capped_points, "
        "bool_or(cap_applied) AS cap_applied, sum(points) AS points FROM ("
        "SELECT lead_id, rule_idx, "
        "CASE WHEN raw_points > cap_points THEN cap_points ELSE raw_points END AS capped_points, "
        "raw_points > cap_points AS cap_applied, "
        "CASE WHEN raw_points > cap_points "
        "THEN decayed_points * cap_points / raw_points ELSE decayed_points END AS points "
        f"FROM (SELECT e.lead_id, e.rule_idx, {e_cap} AS cap_points, "
        "sum(e.raw_points) AS raw_points, sum(e.decayed_points) AS decayed_points "
        "FROM _ll_eng_events AS e SEMI JOIN _ll_eng_pairs AS p "
        "ON p.lead_id = e.lead_id AND p.rule_idx = e.rule_idx "
        "AND p.positive_points > p.cap_points "
        "GROUP BY e.lead_id, e.rule_idx, e.bucket) AS b) AS w GROUP BY lead_id, rule_idx"
    )
    per_rule = (
        "SELECT lead_id, rule_idx, events, raw_points, capped_points, cap_applied, "
        "CASE WHEN capped_points = 0 THEN 1.0e0 ELSE points / capped_points END AS decay_factor, "
        "points FROM (SELECT p.lead_id, p.rule_idx, p.events, p.raw_points, "
        "coalesce(w.capped_points, p.raw_points) AS capped_points, "
        "coalesce(w.cap_applied, FALSE) AS cap_applied, "
        "coalesce(w.points, p.decayed_points) AS points "
        "FROM _ll_eng_pairs AS p LEFT JOIN _ll_eng_capped AS w "
        "ON w.lead_id = p.lead_id AND w.rule_idx = p.rule_idx) AS r"
    )
    total = "SELECT lead_id, sum(points) AS engagement FROM _ll_eng_rules GROUP BY lead_id"
    return [
        ("_ll_eng_events", events),
        ("_ll_eng_pairs", pairs),
        ("_ll_eng_capped", buckets),
        ("_ll_eng_rules", per_rule),
        ("_ll_engagement", total),
    ]


def engagement_parts_sql(behaviour: Behaviour) -> str | None:
    """score_parts rows: one per (lead, behaviour rule) that matched something."""
    rules = behaviour.rules
    if not rules:
        return None
    half = behaviour.half_life_days
    names = ", ".join(
        f"({i}, {lit(r.name)}, {lit(rule_detail(r, half))})" for i, r in enumerate(rules)
    )
    return (
        "SELECT e.lead_id AS lead_id, 'engagement' AS component, n.name AS rule, "
        "CAST(e.events AS BIGINT) AS events, e.raw_points, e.capped_points, e.cap_applied, "
        "e.decay_factor, e.points, n.detail AS detail "
        f"FROM _ll_eng_rules AS e JOIN (VALUES {names}) AS n(idx, name, detail) "
        "ON n.idx = e.rule_idx"
    )
