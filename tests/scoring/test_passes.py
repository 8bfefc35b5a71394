"""The streaming passes over activities: re-keying merged leads, the capped second
pass, and trigger/signal counts collected by the engagement pass.

Each case is a small world plus what the snapshot and the engagement parts must
say; every case also checks that the batch plan, the lead-filtered plan (one
lead at a time) and the rows ``score_all`` writes agree, on both engines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from leadline.scoring import run

from .conftest import T, World, contract, days_before

PRICING = {
    "name": "pricing",
    "activity": "page_view",
    "url_matches": "^/pricing",
    "points": 10,
    "cap": {"points": 25, "per_days": 7},
    "decay": False,
}
CAREERS = {"name": "careers", "activity": "page_view", "url_matches": "^/careers", "points": -5}
PAGE = {
    "name": "page",
    "activity": "page_view",
    "points": 1,
    "cap": {"points": 2, "per_days": 7},
    "decay": False,
}
MINUTES = {
    "name": "minutes",
    "activity": "site_visit_summary",
    "points": 1,
    "value_per_point": 10,
    "cap": {"points": 5, "per_days": 7},
    "decay": False,
}
DEMO = {"name": "demo", "activity": "demo_request", "min_grade": "D", "within_days": 10}
JOB_SEEKER = {
    "activity": "page_view",
    "url_matches": "^/careers",
    "reason": "job_seeker",
    "min_count": 2,
}


def behaviour(*rules: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"half_life_days": 30, "lookback_days": 365, "rules": list(rules), **more}


def merged_pair(world: World) -> None:
    world.lead("survivor")
    world.lead("dupe", merged_into="survivor")


def cap_across_merge(world: World) -> None:
    merged_pair(world)
    world.activities("survivor", "page_view", [1, 2], url="/pricing")
    world.activities("dupe", "page_view", [3, 4], url="/pricing")


def trigger_only(world: World) -> None:
    world.lead("l1")
    world.activities("l1", "demo_request", [2])
    world.activities("l1", "page_view", [1], url="/pricing")


def signal_outside_lookback(world: World) -> None:
    world.lead("l1")
    world.activities("l1", "page_view", [100, 200], url="/careers")
    world.activities("l1", "page_view", [1], url="/pricing")


def trigger_through_merge(world: World) -> None:
    merged_pair(world)
    world.activities("dupe", "demo_request", [3])


def earlier_rule_wins_for_a_capped_type(world: World) -> None:
    world.lead("l1")
    world.activities("l1", "page_view", [1, 2, 3, 4, 5], url="/careers")
    world.activities("l1", "page_view", [1, 2, 3], url="/blog")


def mixed_signs_in_a_capped_pair(world: World) -> None:
    world.lead("l1")
    world.activity("l1", "site_visit_summary", days_before(1), value=100.0)  # window 0: 10 > cap 5
    world.activity("l1", "site_visit_summary", days_before(9), value=-80.0)  # window 1: -8


def intent_through_merge(world: World) -> None:
    merged_pair(world)
    world.content("c1", ["dq"], "problem")
    world.activities("dupe", "content_download", [2], content_id="c1")


def later_lead_is_not_scored(world: World) -> None:
    world.lead("now")
    world.lead("later", created_at=T.replace(year=T.year + 1))
    world.activities("later", "page_view", [1], url="/pricing")
    world.activities("now", "page_view", [1], url="/pricing")


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[World], None]
    sections: dict[str, Any]
    # lead → snapshot columns it must have
    expect: dict[str, dict[str, Any]]
    # (lead, rule) → engagement part columns it must have
    parts: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


CASES = [
    Case(
        "a cap binds across the survivor's and its merged lead's activities",
        cap_across_merge,
        {"behaviour": behaviour(PRICING)},
        {"survivor": {"engagement": 25.0}},
        {("survivor", "pricing"): {"events": 4, "raw_points": 40.0, "cap_applied": True}},
    ),
    Case(
        "triggers fire without any behaviour rule",
        trigger_only,
        {"behaviour": behaviour(triggers=[DEMO])},
        {"l1": {"engagement": 0.0, "trigger_rule": "demo", "qualifies_mql": True}},
    ),
    Case(
        "exclusion signals count activities outside the behaviour lookback",
        signal_outside_lookback,
        {
            "behaviour": behaviour(PRICING, lookback_days=30),
            "exclude": {"free_mail_without_company": False, "activity_signals": [JOB_SEEKER]},
        },
        {"l1": {"engagement": 10.0, "excluded_reason": "job_seeker"}},
    ),
    Case(
        "a merged lead's hand-raise triggers its survivor",
        trigger_through_merge,
        {"behaviour": behaviour(triggers=[DEMO])},
        {"survivor": {"trigger_rule": "demo"}},
    ),
    Case(
        "an earlier uncapped rule still wins for an activity of a capped type",
        earlier_rule_wins_for_a_capped_type,
        {"behaviour": behaviour({**CAREERS, "decay": False}, PAGE)},
        {"l1": {"engagement": -25.0 + 2.0}},
        {
            ("l1", "careers"): {"events": 5, "raw_points": -25.0, "cap_applied": False},
            ("l1", "page"): {"events": 3, "capped_points": 2.0, "cap_applied": True},
        },
    ),
    Case(
        "a value-based pair with mixed signs is split by its positive points",
        mixed_signs_in_a_capped_pair,
        {"behaviour": behaviour(MINUTES)},
        {"l1": {"engagement": 5.0 - 8.0}},
        {("l1", "minutes"): {"raw_points": 2.0, "capped_points": -3.0, "cap_applied": True}},
    ),
    Case(
        "a merged lead's reading counts as its survivor's intent",
        intent_through_merge,
        {"intent": {"topics": ["dq"], "stage_points": {"problem": 4}}},
        {"survivor": {"intent": 4.0}},
    ),
    Case(
        "activities of a lead created after T count for nobody",
        later_lead_is_not_scored,
        {"behaviour": behaviour(PRICING)},
        {"now": {"engagement": 10.0}},
    ),
]


def _key(part: dict[str, Any]) -> tuple[Any, ...]:
    return (part["lead_id"], part["component"], part["rule"])


def _close(a: dict[str, Any], b: dict[str, Any]) -> bool:
    for key, value in a.items():
        if isinstance(value, float):
            if value != pytest.approx(b[key], abs=1e-9):
                return False
        elif value != b[key]:
            return False
    return True


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_pass(world: World, case: Case) -> None:
    case.build(world)
    compiled = contract(**case.sections)
    scores = world.scores(compiled)
    assert set(scores) == set(case.expect)  # merged and later leads are not scored
    for lead, columns in case.expect.items():
        got = {k: scores[lead][k] for k in columns}
        assert got == pytest.approx(columns), (lead, got)
    for (lead, rule), columns in case.parts.items():
        part = world.parts(compiled, lead, "engagement")[rule]
        assert {k: part[k] for k in columns} == pytest.approx(columns), (lead, rule, part)

    # the lead-filtered plan gives the same snapshot and parts, one lead at a time
    batch_parts = sorted(world.engine.fetch_dicts(compiled.parts_query(), {"as_of": T}), key=_key)
    alone_parts = []
    for lead, snap in scores.items():
        (alone,) = run.score_leads(world.engine, compiled, T, [lead])
        assert _close(snap, alone), (snap, alone)
        alone_parts += run.lead_parts(world.engine, compiled, T, [lead])
    assert len(alone_parts) == len(batch_parts)
    for a, b in zip(batch_parts, sorted(alone_parts, key=_key), strict=True):
        assert _close(a, b), (a, b)

    # and score_all writes exactly those rows
    result = run.score_all(world.engine, compiled, T, 1)
    assert result.leads_scored == len(scores)
    written = world.engine.fetch_dicts(
        f"SELECT {', '.join(compiled.parts_columns)} FROM score_parts WHERE run_id = 1"
    )
    assert len(written) == len(batch_parts) == result.parts_written
    for a, b in zip(batch_parts, sorted(written, key=_key), strict=True):
        assert _close(a, b), (a, b)
