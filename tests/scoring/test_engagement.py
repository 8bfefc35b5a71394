"""Engagement: decay, caps per window, first match wins, value_per_point,
negative signals, lookback, and merged leads' activities following the survivor."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import T, World, contract, days_before


def rules(*items: dict[str, Any], **behaviour: Any) -> dict[str, Any]:
    return {
        "behaviour": {"half_life_days": 30, "lookback_days": 365, "rules": list(items), **behaviour}
    }


@pytest.mark.parametrize(
    ("ages", "decay", "expected"),
    [
        ([0], True, 10.0),
        ([30], True, 5.0),
        ([60], True, 2.5),
        ([15], True, 10 * 0.5**0.5),
        ([10, 45.5], True, 10 * 0.5 ** (10 / 30) + 10 * 0.5 ** (45.5 / 30)),
        ([60], False, 10.0),
        ([0.25], True, 10 * 0.5 ** (0.25 / 30)),
    ],
)
def test_decay_math(world: World, ages: list[float], decay: bool, expected: float) -> None:
    world.lead("l1")
    world.activities("l1", "page_view", ages)
    compiled = contract(
        **rules({"name": "view", "activity": "page_view", "points": 10, "decay": decay})
    )
    snap = world.score(compiled, "l1")
    assert snap["engagement"] == pytest.approx(expected, abs=1e-9)
    part = world.parts(compiled, "l1", "engagement")["view"]
    assert part["events"] == len(ages)
    assert part["raw_points"] == 10 * len(ages)
    assert part["decay_factor"] == pytest.approx(expected / (10 * len(ages)), abs=1e-9)


@pytest.mark.parametrize(
    ("own", "age", "expected"),
    [
        (None, 30, 5.0),  # the contract's 30 days
        (90, 30, 10 * 0.5 ** (30 / 90)),  # a slower rule
        (90, 90, 5.0),
        (7, 14, 2.5),  # a faster one
    ],
)
def test_a_rule_may_have_its_own_half_life(
    world: World, own: float | None, age: float, expected: float
) -> None:
    world.lead("l1")
    world.activities("l1", "demo_request", [age])
    world.activities("l1", "page_view", [30])  # the other rule keeps the contract's
    demo = {"name": "demo", "activity": "demo_request", "points": 10}
    if own is not None:
        demo["half_life_days"] = own
    compiled = contract(**rules(demo, {"name": "view", "activity": "page_view", "points": 10}))
    assert world.score(compiled, "l1")["engagement"] == pytest.approx(expected + 5.0, abs=1e-9)
    parts = world.parts(compiled, "l1", "engagement")
    assert parts["demo"]["decay_factor"] == pytest.approx(expected / 10, abs=1e-9)
    assert f"half-life {own or 30:g}d" in parts["demo"]["detail"]
    assert "half-life 30d" in parts["view"]["detail"]


@pytest.mark.parametrize(
    ("ages", "raw", "capped", "applied"),
    [
        ([1, 2], 20, 20, False),  # under the cap
        ([1, 2, 3, 4], 40, 30, True),  # one window, capped at 30
        ([1, 2, 3, 8, 9, 10], 60, 60, False),  # two 7-day windows, 30 each
        ([1, 2, 3, 4, 8], 50, 40, True),  # window 0 capped, window 1 not
        ([6.99, 7.0], 20, 20, False),  # 7.0 days old is window 1
    ],
)
def test_caps_per_window(
    world: World, ages: list[float], raw: float, capped: float, applied: bool
) -> None:
    world.lead("l1")
    world.activities("l1", "page_view", ages, url="/pricing")
    compiled = contract(
        **rules(
            {
                "name": "pricing",
                "activity": "page_view",
                "points": 10,
                "decay": False,
                "cap": {"points": 30, "per_days": 7},
            }
        )
    )
    part = world.parts(compiled, "l1", "engagement")["pricing"]
    assert (part["raw_points"], part["capped_points"], part["cap_applied"]) == (
        raw,
        capped,
        applied,
    )
    assert world.score(compiled, "l1")["engagement"] == pytest.approx(capped, abs=1e-9)


def test_cap_scales_decayed_points(world: World) -> None:
    """Capped windows keep their decay: points = decayed sum × capped / raw."""
    world.lead("l1")
    world.activities("l1", "page_view", [0, 3, 6])
    compiled = contract(
        **rules(
            {
                "name": "v",
                "activity": "page_view",
                "points": 10,
                "cap": {"points": 15, "per_days": 7},
            }
        )
    )
    decayed = sum(10 * 0.5 ** (a / 30) for a in (0, 3, 6))
    expected = decayed * 15 / 30
    part = world.parts(compiled, "l1", "engagement")["v"]
    assert part["points"] == pytest.approx(expected, abs=1e-9)
    assert part["decay_factor"] == pytest.approx(expected / 15, abs=1e-9)


def test_first_matching_rule_wins(world: World) -> None:
    world.lead("l1")
    world.activity("l1", "page_view", days_before(1), url="https://x.example/pricing")
    world.activity("l1", "page_view", days_before(1), url="https://x.example/blog")
    compiled = contract(
        **rules(
            {
                "name": "pricing page",
                "activity": "page_view",
                "url_matches": "/pricing",
                "points": 15,
                "decay": False,
            },
            {"name": "any page", "activity": "page_view", "points": 1, "decay": False},
            {
                "name": "shadowed",
                "activity": "page_view",
                "url_matches": "/pricing",
                "points": 100,
                "decay": False,
            },
        )
    )
    parts = world.parts(compiled, "l1", "engagement")
    assert {k: v["events"] for k, v in parts.items()} == {"pricing page": 1, "any page": 1}
    assert world.score(compiled, "l1")["engagement"] == 16


def test_topic_and_stage_rules_read_content(world: World) -> None:
    world.lead("l1")
    world.content("c1", ["data-quality"], "product")
    world.content("c2", ["hiring"], "problem")
    world.activity("l1", "content_download", days_before(1), content_id="c1")
    world.activity("l1", "content_download", days_before(1), content_id="c2")
    world.activity("l1", "content_download", days_before(1))  # no content at all
    compiled = contract(
        **rules(
            {
                "name": "product content",
                "activity": "content_download",
                "journey_stage": "product",
                "points": 20,
                "decay": False,
            },
            {
                "name": "dq content",
                "activity": "content_download",
                "topics": ["data-quality"],
                "points": 50,
                "decay": False,
            },
            {"name": "other content", "activity": "content_download", "points": 2, "decay": False},
        )
    )
    parts = world.parts(compiled, "l1", "engagement")
    assert {k: v["events"] for k, v in parts.items()} == {"product content": 1, "other content": 2}


def test_value_per_point(world: World) -> None:
    world.lead("l1")
    world.activity("l1", "site_visit_summary", days_before(0), value=45.0)
    world.activity("l1", "site_visit_summary", days_before(0), value=None)
    compiled = contract(
        **rules(
            {
                "name": "minutes",
                "activity": "site_visit_summary",
                "points": 2,
                "value_per_point": 15,
                "decay": False,
            }
        )
    )
    part = world.parts(compiled, "l1", "engagement")["minutes"]
    assert part["raw_points"] == pytest.approx(6.0)  # 2 × 45 / 15, NULL value counts 0
    assert part["events"] == 2


def test_negative_signals_lower_the_score_and_are_not_capped(world: World) -> None:
    world.lead("l1")
    world.activities("l1", "page_view", [1], url="/pricing")
    world.activities("l1", "page_view", [1, 2, 3], url="/careers")
    compiled = contract(
        **rules(
            {
                "name": "careers",
                "activity": "page_view",
                "url_matches": "/careers",
                "points": -15,
                "decay": False,
                "cap": {"points": 20, "per_days": 7},
            },
            {"name": "pricing", "activity": "page_view", "points": 10, "decay": False},
        )
    )
    parts = world.parts(compiled, "l1", "engagement")
    assert parts["careers"]["points"] == -45
    assert parts["careers"]["cap_applied"] is False
    assert world.score(compiled, "l1")["engagement"] == -35


@pytest.mark.parametrize(("age", "counted"), [(9.9, True), (10.0, True), (10.01, False)])
def test_lookback(world: World, age: float, counted: bool) -> None:
    world.lead("l1")
    world.activities("l1", "email_click", [age])
    compiled = contract(
        **rules(
            {"name": "click", "activity": "email_click", "points": 5, "decay": False},
            lookback_days=10,
        )
    )
    assert world.score(compiled, "l1")["engagement"] == (5 if counted else 0)


def test_activities_after_as_of_are_ignored(world: World) -> None:
    world.lead("l1")
    world.activities("l1", "email_click", [1, -1, -30])  # negative age = after T
    compiled = contract(
        **rules({"name": "click", "activity": "email_click", "points": 5, "decay": False})
    )
    assert world.score(compiled, "l1")["engagement"] == 5


def test_merged_leads_activities_follow_the_survivor(world: World) -> None:
    world.lead("survivor")
    world.lead("dupe", merged_into="survivor")
    world.activities("survivor", "email_click", [1])
    world.activities("dupe", "email_click", [1, 2])
    compiled = contract(
        **rules({"name": "click", "activity": "email_click", "points": 5, "decay": False})
    )
    scores = world.scores(compiled)
    assert "dupe" not in scores
    assert scores["survivor"]["engagement"] == 15
    assert world.parts(compiled, "survivor", "engagement")["click"]["events"] == 3


def test_leads_created_after_as_of_are_not_scored(world: World) -> None:
    world.lead("old", created_at=days_before(5))
    world.lead("new", created_at=days_before(-5))
    world.lead("unknown", created_at=None)
    compiled = contract()
    assert set(world.scores(compiled, T)) == {"old", "unknown"}
