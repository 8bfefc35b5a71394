"""Intent: stage points per distinct (topic, stage), the journey bonus's order
and window, topic filtering, and that a journey outranks random page views."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import World, contract, days_before

INTENT: dict[str, Any] = {
    "topics": ["data-quality"],
    "stage_points": {"problem": 3, "solution": 6, "product": 10},
    "journey_bonus": {
        "points": 20,
        "stages": ["problem", "solution", "product"],
        "within_days": 21,
    },
    "lookback_days": 90,
}


def seed_content(world: World) -> None:
    for stage in ("problem", "solution", "product"):
        world.content(f"dq-{stage}", ["data-quality", "misc"], stage)
        world.content(f"hr-{stage}", ["hiring"], stage)
    world.content("untagged", [], None)


def read(world: World, lead: str, content: str, age: float) -> None:
    world.activity(lead, "page_view", days_before(age), content_id=content)


def test_stage_points_once_per_distinct_topic_stage(world: World) -> None:
    seed_content(world)
    world.lead("l1")
    for age in (1, 2, 3):
        read(world, "l1", "dq-problem", age)
    read(world, "l1", "dq-solution", 100)  # outside the 90-day lookback
    read(world, "l1", "hr-product", 1)  # untracked topic
    compiled = contract(intent={**INTENT, "journey_bonus": None})
    assert world.score(compiled, "l1")["intent"] == 3
    parts = world.parts(compiled, "l1", "intent")
    assert set(parts) == {"data-quality:problem"}
    assert parts["data-quality:problem"]["events"] == 3


def test_empty_topics_means_every_topic(world: World) -> None:
    seed_content(world)
    world.lead("l1")
    read(world, "l1", "dq-problem", 1)
    read(world, "l1", "hr-product", 1)
    compiled = contract(intent={**INTENT, "topics": [], "journey_bonus": None})
    # dq-problem carries two topics (data-quality, misc): 3 + 3, hiring product: 10
    assert world.score(compiled, "l1")["intent"] == 16


@pytest.mark.parametrize(
    ("ages", "bonus"),
    [
        ({"problem": 20, "solution": 10, "product": 1}, True),  # in order, 19 days
        ({"problem": 10, "solution": 10, "product": 10}, True),  # same time counts
        ({"problem": 23, "solution": 10, "product": 1}, False),  # 22 days apart
        ({"problem": 21, "solution": 10, "product": 0}, True),  # exactly 21 days
        ({"problem": 1, "solution": 10, "product": 20}, False),  # reversed
        ({"problem": 10, "solution": 1, "product": 5}, False),  # product before solution
        ({"problem": 10, "solution": 5}, False),  # journey not finished
    ],
)
def test_journey_bonus_order_and_window(world: World, ages: dict[str, float], bonus: bool) -> None:
    seed_content(world)
    world.lead("l1")
    for stage, age in ages.items():
        read(world, "l1", f"dq-{stage}", age)
    compiled = contract(intent=INTENT)
    stage_points = sum({"problem": 3, "solution": 6, "product": 10}[s] for s in ages)
    assert world.score(compiled, "l1")["intent"] == stage_points + (20 if bonus else 0)
    assert ("journey_bonus" in world.parts(compiled, "l1", "intent")) is bonus


def test_journey_uses_first_time_at_each_stage(world: World) -> None:
    """Reading the product page early, then doing the journey, is not in order."""
    seed_content(world)
    world.lead("l1")
    read(world, "l1", "dq-product", 30)
    for stage, age in (("problem", 10), ("solution", 5), ("product", 1)):
        read(world, "l1", f"dq-{stage}", age)
    assert world.score(contract(intent=INTENT), "l1")["intent"] == 19


def test_journey_must_be_on_one_topic(world: World) -> None:
    seed_content(world)
    world.content("mixed-product", ["hiring"], "product")
    world.lead("l1")
    read(world, "l1", "dq-problem", 5)
    read(world, "l1", "dq-solution", 4)
    read(world, "l1", "hr-product", 1)
    compiled = contract(intent={**INTENT, "topics": []})
    assert "journey_bonus" not in world.parts(compiled, "l1", "intent")


def test_topical_journey_outranks_as_many_random_page_views(world: World) -> None:
    seed_content(world)
    for i in range(3):
        world.content(f"random-{i}", ["misc-news"], None)
    world.lead("journey")
    world.lead("browser")
    for stage, age in (("problem", 9), ("solution", 5), ("product", 1)):
        read(world, "journey", f"dq-{stage}", age)
    for i, age in enumerate((9, 5, 1)):
        world.activity("browser", "page_view", days_before(age), content_id=f"random-{i}")
    compiled = contract(
        intent=INTENT,
        behaviour={
            "half_life_days": 30,
            "rules": [{"name": "page", "activity": "page_view", "points": 1}],
        },
    )
    scores = world.scores(compiled)
    assert scores["journey"]["engagement"] == pytest.approx(scores["browser"]["engagement"])
    assert scores["journey"]["score"] > scores["browser"]["score"] + 30
