"""Engagement: behaviour points per activity, first matching rule wins, decayed and capped.

Ten million activities are read in ONE streaming pass that aggregates at once
(nothing per activity is materialised), then a few small steps:

``_ll_eng_pairs``   the pass: each activity (re-keyed to its survivor, see
                    activities.py) is tagged with the index of the FIRST rule
                    (contract order) it matches inside the lookback — one CASE,
                    so "first match wins" costs nothing extra — and grouped per
                    (lead, rule): events, raw, decayed and positive raw sums.
                    The same pass counts the trigger and exclusion-signal
                    activities (``flags``) so they need no read of their own;
                    activities that match no rule but a flag keep a NULL rule.
``_ll_eng_binding`` the pairs whose positive raw sum exceeds the rule's cap
                    (no window can exceed it otherwise);
``_ll_eng_capped``  only for those pairs: a second pass over
                    just those leads' activities, per (lead, rule, window) the
                    raw sum is capped to ``cap.points`` and the decayed points
                    scaled by the same ratio ``capped / raw``, then summed per
                    pair.  Splitting every pair into windows would group ten
                    million rows into millions of windows.
``_ll_eng_rules``   per (lead, rule): the explanation row (capped values where
                    a pair was split); ``_ll_engagement`` the sum per lead and
                    the flag counts (``_ll_flags`` reads them).

Windows count back from T: window ``k`` holds activities with
``k * per_days <= age < (k + 1) * per_days``.
"""

from __future__ import annotations

from leadline.contract.schema import Behaviour, BehaviourRule
from leadline.scoring import activities
from leadline.scoring.common import activity_match, describe_match, exact_sum, lit, text_list

# (lead, rule) pairs whose positive points exceed the rule's cap: the only ones
# split into windows (a few percent of the pairs; materialised, so the engine
# knows how small it is when it plans the second pass).
BINDING = "_ll_eng_binding"


def _case(rules: list[BehaviourRule], column: str, pick: list[str], default: str) -> str:
    if not rules:
        return default
    whens = " ".join(f"WHEN {i} THEN {pick[i]}" for i in range(len(rules)))
    return f"CASE {column} {whens} ELSE {default} END"


def _raw(rule: BehaviourRule) -> str:
    points = lit(float(rule.points))
    if rule.value_per_point is None:
        return points
    per = lit(float(rule.value_per_point))
    return f"{points} * coalesce(CAST(x.value AS DOUBLE), 0.0e0) / {per}"


def _decay(rule: BehaviourRule, half_life: float) -> str:
    """``half_life`` is the contract's; a rule may have its own."""
    if not rule.decay:
        return "1.0e0"
    return f"power(0.5, x.age_days / {lit(float(rule.half_life(half_life)))})"


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
    text += f"; half-life {rule.half_life(half_life):g}d" if rule.decay else "; no decay"
    if rule.value_per_point is not None:
        text += f"; 1 point per {rule.value_per_point:g} value"
    return text


def _first_match(rules: list[BehaviourRule], lookback: float) -> str:
    """Index of the FIRST rule (contract order) an activity inside the lookback matches."""
    if not rules:
        return "CAST(NULL AS INTEGER)"
    whens = " ".join(f"WHEN {activity_match(r)} THEN {i}" for i, r in enumerate(rules))
    return f"CASE WHEN x.age_days <= {lit(float(lookback))} THEN CASE {whens} END END"


def _empty(flags: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Typed, empty engagement CTEs (no behaviour rules, no flags)."""
    flag_cols = "".join(f", CAST(0 AS BIGINT) AS {name}" for name, _ in flags)
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
            f"SELECT CAST(NULL AS VARCHAR) AS lead_id, 0.0e0 AS engagement{flag_cols} WHERE FALSE",
        ),
    ]


def _capped_cte(behaviour: Behaviour, *, lead_filter: bool, content: str | None) -> str:
    """``_ll_eng_capped``: capped totals of the pairs whose positive points exceed the cap.

    A cap can only bind where the positive raw points of a pair exceed it, so
    only those pairs are split into windows, in a second pass that reads only
    their leads' activities of the types a capped rule names (an earlier rule
    may still win for such an activity: every rule is evaluated as usual).
    """
    rules = behaviour.rules
    capped_types = sorted({t for r in rules if r.cap is not None for t in r.activities})
    if not capped_types:
        return (
            "SELECT CAST(NULL AS VARCHAR) AS lead_id, 0 AS rule_idx, "
            "0.0e0 AS capped_points, FALSE AS cap_applied, 0.0e0 AS points WHERE FALSE"
        )
    half, lookback = behaviour.half_life_days, behaviour.lookback_days
    raw = _case(rules, "x.rule_idx", [_raw(r) for r in rules], "0.0e0")
    decay = _case(rules, "x.rule_idx", [_decay(r, half) for r in rules], "1.0e0")
    bucket = _case(rules, "x.rule_idx", [_bucket(r) for r in rules], "0")
    e_cap = _case(rules, "e.rule_idx", [_cap(r) for r in rules], "CAST(NULL AS DOUBLE)")
    # The binding leads as raw activity lead ids (themselves and the leads merged
    # into them), so the engine can filter the activity scan itself.
    sources = (
        f"SELECT b.lead_id FROM {BINDING} AS b UNION ALL "
        f"SELECT m.source_id FROM {activities.MERGED} AS m "
        f"JOIN {BINDING} AS b ON b.lead_id = m.lead_id"
    )
    src = activities.source(
        lead_filter=lead_filter,
        window_days=lookback,
        content=content,
        where=(
            f"a.activity_type IN {text_list(capped_types, lower=False)}",
            f"a.lead_id IN ({sources})",
        ),
    )
    tagged = f"(SELECT x.*, {_first_match(rules, lookback)} AS rule_idx FROM {src} AS x)"
    return (
        f"SELECT lead_id, rule_idx, {exact_sum('capped_points')} AS capped_points, "
        f"bool_or(cap_applied) AS cap_applied, {exact_sum('points')} AS points FROM ("
        "SELECT lead_id, rule_idx, "
        "CASE WHEN raw_points > cap_points THEN cap_points ELSE raw_points END AS capped_points, "
        "raw_points > cap_points AS cap_applied, "
        "CASE WHEN raw_points > cap_points "
        "THEN decayed_points * cap_points / raw_points ELSE decayed_points END AS points "
        f"FROM (SELECT e.lead_id, e.rule_idx, {e_cap} AS cap_points, "
        f"{exact_sum('e.raw_points')} AS raw_points, "
        f"{exact_sum('e.decayed_points')} AS decayed_points "
        f"FROM (SELECT x.lead_id, x.rule_idx, {raw} AS raw_points, "
        f"{raw} * {decay} AS decayed_points, {bucket} AS bucket "
        f"FROM {tagged} AS x WHERE x.rule_idx IS NOT NULL) AS e "
        f"SEMI JOIN {BINDING} AS p ON p.lead_id = e.lead_id AND p.rule_idx = e.rule_idx "
        "GROUP BY e.lead_id, e.rule_idx, e.bucket) AS b) AS w GROUP BY lead_id, rule_idx"
    )


def engagement_ctes(
    behaviour: Behaviour,
    *,
    flags: list[tuple[str, str]],
    lead_filter: bool,
    window_days: float | None,
    content: bool,
) -> list[tuple[str, str]]:
    """``(name, select)`` pairs: one streaming pass over the activities, then small steps.

    ``flags`` are ``(column, condition over x)`` activity counts the same pass
    collects for other components (triggers, exclusion signals); they come out
    as per-lead counts in ``_ll_engagement``.
    """
    rules = behaviour.rules
    if not rules and not flags:
        return _empty(flags)
    half = behaviour.half_life_days
    lookback = behaviour.lookback_days
    raw = _case(rules, "x.rule_idx", [_raw(r) for r in rules], "0.0e0")
    decay = _case(rules, "x.rule_idx", [_decay(r, half) for r in rules], "1.0e0")
    e_cap = _case(rules, "e.rule_idx", [_cap(r) for r in rules], "CAST(NULL AS DOUBLE)")
    content_join = "left" if content else None
    src = activities.source(lead_filter=lead_filter, window_days=window_days, content=content_join)
    tagged = f"(SELECT x.*, {_first_match(rules, lookback)} AS rule_idx FROM {src} AS x)"
    flag_cols = "".join(f", CASE WHEN {cond} THEN 1 ELSE 0 END AS {name}" for name, cond in flags)
    keep = " OR ".join(["x.rule_idx IS NOT NULL", *(f"x.{name} = 1" for name, _ in flags)])
    # count(*) FILTER keeps each flag's aggregate state at 8 bytes: with millions
    # of (lead, rule) groups, wider states push the hash table past the memory cap.
    flag_counts = "".join(f", count(*) FILTER (WHERE e.{name} = 1) AS {name}" for name, _ in flags)
    flag_refs = "".join(f", x.{name}" for name, _ in flags)
    # Only a value-based capped rule can mix signs inside one pair; for every
    # other rule the positive points are greatest(raw, 0) of the pair's sum.
    mixed = any(r.cap is not None and r.value_per_point is not None for r in rules)
    # Without value-based rules every activity of a rule is worth the rule's
    # points, so the raw sum is points × events: one aggregate fewer in a hash
    # table of millions of groups.  Otherwise raw points are summed at fixed point.
    valued = any(r.value_per_point is not None for r in rules)
    points = _case(rules, "e.rule_idx", [lit(float(r.points)) for r in rules], "0.0e0")
    raw_sum = exact_sum("e.raw_points") if valued else f"{points} * count(*)"
    positive = (
        exact_sum("greatest(e.raw_points, 0.0e0)") if mixed else f"greatest({raw_sum}, 0.0e0)"
    )
    # ONE pass: tag each activity with its first matching rule (and the flags),
    # aggregate per (survivor, rule) at once, keep the scored leads.
    pairs = (
        f"SELECT g.* FROM (SELECT e.lead_id, e.rule_idx, {e_cap} AS cap_points, "
        f"count(*) AS events, {raw_sum} AS raw_points, "
        f"{exact_sum('e.decayed_points')} AS decayed_points, "
        f"{positive} AS positive_points{flag_counts} "
        "FROM (SELECT x.lead_id, x.rule_idx, "
        f"{raw} AS raw_points, {raw} * {decay} AS decayed_points{flag_refs} "
        f"FROM (SELECT x.*{flag_cols} FROM {tagged} AS x) AS x WHERE {keep}) AS e "
        "GROUP BY e.lead_id, e.rule_idx) AS g "
        "SEMI JOIN _ll_people AS p ON p.lead_id = g.lead_id"
    )
    buckets = _capped_cte(behaviour, lead_filter=lead_filter, content=content_join)
    rule_points = (
        "SELECT p.lead_id, p.rule_idx, p.events, p.raw_points, "
        "coalesce(w.capped_points, p.raw_points) AS capped_points, "
        "coalesce(w.cap_applied, FALSE) AS cap_applied, "
        f"coalesce(w.points, p.decayed_points) AS points{''.join(f', p.{n}' for n, _ in flags)} "
        "FROM _ll_eng_pairs AS p LEFT JOIN _ll_eng_capped AS w "
        "ON w.lead_id = p.lead_id AND w.rule_idx = p.rule_idx"
    )
    per_rule = (
        "SELECT lead_id, rule_idx, events, raw_points, capped_points, cap_applied, "
        "CASE WHEN capped_points = 0 THEN 1.0e0 ELSE points / capped_points END AS decay_factor, "
        f"points FROM ({rule_points}) AS r WHERE r.rule_idx IS NOT NULL"
    )
    # Engagement and the flag counts per lead in one GROUP BY (rows without a
    # rule carry only flags; their points are 0).
    total = (
        "SELECT r.lead_id, "
        f"{exact_sum('CASE WHEN r.rule_idx IS NULL THEN 0.0e0 ELSE r.points END')} "
        f"AS engagement{''.join(f', sum(r.{n}) AS {n}' for n, _ in flags)} "
        f"FROM ({rule_points}) AS r GROUP BY r.lead_id"
    )
    binding = (
        "SELECT p.lead_id, p.rule_idx FROM _ll_eng_pairs AS p "
        "WHERE p.positive_points > p.cap_points"
    )
    return [
        ("_ll_eng_pairs", pairs),
        (BINDING, binding),
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
