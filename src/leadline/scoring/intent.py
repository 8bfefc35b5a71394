"""Intent: which tracked topics a lead (or account) researches, and how far along.

Evidence is an activity on content with topics and a journey stage, inside
``intent.lookback_days``.  Each distinct (topic, stage) reached earns its
``stage_points`` once, however many pages were read — so intent rewards
*breadth along a journey*, not volume, and a topical journey outranks the same
number of random page views.  The journey bonus is paid once per key when, on
some topic, the first time the key reached each listed stage is in order
(non-decreasing in time) and the whole journey (first stage's first time to
last stage's first time) fits in ``within_days``.

The same builder runs grouped by lead and grouped by account; account-level
intent pools the evidence of all the account's contacts.
"""

from __future__ import annotations

from leadline.contract.schema import JOURNEY_STAGES, Intent
from leadline.scoring import activities
from leadline.scoring.common import array_lit, lit, text_list

EVIDENCE = "_ll_intent_ev"


def evidence_cte(intent: Intent, *, lead_filter: bool) -> tuple[str, str]:
    """``_ll_intent_ev``: per (lead, account, topic, stage) events and first age.

    Its own pass over the activities, reading only those on content inside
    ``lookback_days``, grouped straight away.
    """
    where = [
        f"x.age_days <= {lit(float(intent.lookback_days))}",
        f"x.journey_stage IN {text_list(JOURNEY_STAGES, lower=False)}",
        "x.topics IS NOT NULL",
    ]
    outer = ""
    if intent.topics:
        where.append(f"x.topics && {array_lit(intent.topics)}")
        outer = f"WHERE u.topic IN {text_list(intent.topics, lower=False)} "
    src = activities.source(
        lead_filter=lead_filter,
        window_days=intent.lookback_days,
        content="inner",
        where=("a.content_id IS NOT NULL",),
    )
    return (
        EVIDENCE,
        "SELECT u.lead_id, u.account_id, u.topic, u.journey_stage, count(*) AS events, "
        "max(u.age_days) AS first_age FROM (SELECT p.lead_id, p.account_id, "
        f"unnest(x.topics) AS topic, x.journey_stage, x.age_days FROM {src} AS x "
        f"JOIN _ll_people AS p ON p.lead_id = x.lead_id WHERE {' AND '.join(where)}) AS u "
        f"{outer}GROUP BY u.lead_id, u.account_id, u.topic, u.journey_stage",
    )


def _stage_points(intent: Intent) -> str:
    whens = " ".join(
        f"WHEN {lit(stage)} THEN {lit(float(points))}"
        for stage, points in intent.stage_points.items()
    )
    return f"CASE journey_stage {whens} ELSE 0.0e0 END" if whens else "0.0e0"


def intent_ctes(intent: Intent | None, key: str) -> list[tuple[str, str]]:
    """CTEs ``_ll_<key>_stages``, ``_ll_<key>_journey`` and ``_ll_<key>_intent``.

    ``key`` is ``lead_id`` or ``account_id``; the last CTE has columns
    ``(<key>, intent)``.
    """
    short = key.removesuffix("_id")
    stages, journey, total = (f"_ll_{short}_stages", f"_ll_{short}_journey", f"_ll_{short}_intent")
    if intent is None:
        return [
            (
                stages,
                f"SELECT CAST(NULL AS VARCHAR) AS {key}, CAST(NULL AS VARCHAR) AS topic, "
                "CAST(NULL AS VARCHAR) AS journey_stage, CAST(0 AS BIGINT) AS events, "
                "0.0e0 AS first_age, 0.0e0 AS points WHERE FALSE",
            ),
            (
                journey,
                f"SELECT CAST(NULL AS VARCHAR) AS {key}, CAST(NULL AS VARCHAR) AS topic "
                "WHERE FALSE",
            ),
            (total, f"SELECT CAST(NULL AS VARCHAR) AS {key}, 0.0e0 AS intent WHERE FALSE"),
        ]
    out = [
        (
            stages,
            f"SELECT {key}, topic, journey_stage, sum(events) AS events, "
            f"max(first_age) AS first_age, {_stage_points(intent)} AS points "
            f"FROM {EVIDENCE} WHERE {key} IS NOT NULL GROUP BY {key}, topic, journey_stage",
        )
    ]
    bonus = intent.journey_bonus
    if bonus is None or not bonus.stages:
        out.append(
            (
                journey,
                f"SELECT CAST(NULL AS VARCHAR) AS {key}, "
                "CAST(NULL AS VARCHAR) AS topic WHERE FALSE",
            )
        )
        bonus_points = "0.0e0"
    else:
        cols = ", ".join(
            f"max(CASE WHEN journey_stage = {lit(s)} THEN first_age END) AS age_{i}"
            for i, s in enumerate(bonus.stages)
        )
        conds = [f"age_{i} IS NOT NULL" for i in range(len(bonus.stages))]
        conds += [f"age_{i} >= age_{i + 1}" for i in range(len(bonus.stages) - 1)]
        conds.append(f"age_0 - age_{len(bonus.stages) - 1} <= {lit(float(bonus.within_days))}")
        out.append(
            (
                journey,
                f"SELECT {key}, min(topic) AS topic FROM (SELECT {key}, topic, {cols} "
                f"FROM {stages} GROUP BY {key}, topic) AS t WHERE {' AND '.join(conds)} "
                f"GROUP BY {key}",
            )
        )
        bonus_points = lit(float(bonus.points))
    out.append(
        (
            total,
            f"SELECT s.{key}, s.points + CASE WHEN j.{key} IS NULL THEN 0.0e0 "
            f"ELSE {bonus_points} END AS intent "
            f"FROM (SELECT {key}, sum(points) AS points FROM {stages} GROUP BY {key}) AS s "
            f"LEFT JOIN {journey} AS j ON j.{key} = s.{key}",
        )
    )
    return out


def intent_parts_sql(intent: Intent | None) -> list[str]:
    """score_parts rows: one per (lead, topic, stage) and one for the journey bonus."""
    if intent is None:
        return []
    parts = [
        "SELECT lead_id, 'intent' AS component, topic || ':' || journey_stage AS rule, "
        "CAST(events AS BIGINT) AS events, points AS raw_points, points AS capped_points, "
        "FALSE AS cap_applied, 1.0e0 AS decay_factor, points, "
        "'first seen ' || CAST(round(first_age, 1) AS VARCHAR) || ' days before as_of' "
        "AS detail FROM _ll_lead_stages"
    ]
    bonus = intent.journey_bonus
    if bonus is not None and bonus.stages:
        pts = lit(float(bonus.points))
        parts.append(
            "SELECT lead_id, 'intent' AS component, 'journey_bonus' AS rule, "
            f"CAST(NULL AS BIGINT) AS events, {pts} AS raw_points, {pts} AS capped_points, "
            f"FALSE AS cap_applied, 1.0e0 AS decay_factor, {pts} AS points, "
            f"'topic ' || topic || ': ' || {lit(' → '.join(bonus.stages))} AS detail "
            "FROM _ll_lead_journey"
        )
    return parts
