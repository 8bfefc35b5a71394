"""Exclusions (each reason, first wins), triggers (grade and window), the MQL
verdict and its reason, priority ordering, and the account (MQA) roll-up."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import World, contract, days_before

FIT: dict[str, Any] = {
    "rules": [
        {"field": "lead.seniority", "equals": "vp", "points": 50},
        {"field": "lead.seniority", "equals": "manager", "points": 30},
        {"field": "lead.seniority", "equals": "staff", "points": 10},
    ],
    "grades": {"A": 50, "B": 30, "C": 10},
}
BEHAVIOUR: dict[str, Any] = {
    "half_life_days": 30,
    "rules": [
        {"name": "click", "activity": "email_click", "points": 10, "decay": False},
        {"name": "demo", "activity": "demo_request", "points": 5, "decay": False},
    ],
    "triggers": [
        {"name": "demo_request", "activity": "demo_request", "min_grade": "B", "within_days": 14},
        {"name": "chat", "activity": "chat", "min_grade": "C", "within_days": 14},
    ],
}
EXCLUDE: dict[str, Any] = {
    "competitor_domains": ["rival.example"],
    "free_mail_without_company": True,
    "rules": [
        {"field": "lead.title", "matches": "student", "reason": "student"},
        {"field": "lead.email", "matches": "^test@", "reason": "test_record"},
    ],
    "activity_signals": [
        {
            "activity": "page_view",
            "url_matches": "/careers",
            "reason": "job_seeker",
            "min_count": 2,
        },
    ],
}


def compiled(**extra: Any) -> Any:
    return contract(fit=FIT, behaviour=BEHAVIOUR, exclude=EXCLUDE, **extra)


@pytest.mark.parametrize(
    ("lead", "account", "careers_views", "reason"),
    [
        ({}, None, 0, None),
        ({"email_domain": "Rival.example"}, None, 0, "competitor"),
        ({}, {"domain": "rival.example"}, 0, "competitor"),
        ({"is_free_mail": True}, None, 0, "free_mail_no_company"),
        ({"is_free_mail": True, "company": "Acme"}, None, 0, None),
        ({"is_free_mail": True}, {"domain": "acme.example"}, 0, None),
        ({"title": "Student"}, None, 0, "student"),
        ({"email": "test@acme.example"}, None, 0, "test_record"),
        ({}, None, 1, None),
        ({}, None, 2, "job_seeker"),
        # first reason in contract order wins
        ({"email_domain": "rival.example", "title": "student"}, None, 2, "competitor"),
        ({"title": "student", "email": "test@x"}, None, 2, "student"),
    ],
)
def test_exclusion_reasons(
    world: World,
    lead: dict[str, Any],
    account: dict[str, Any] | None,
    careers_views: int,
    reason: str | None,
) -> None:
    if account is not None:
        world.account("a1", **account)
    world.lead("l1", seniority="vp", account_id="a1" if account else None, **lead)
    world.activities(
        "l1", "page_view", [1 + i for i in range(careers_views)], url="https://x/careers"
    )
    world.activities("l1", "demo_request", [1])
    snap = world.score(compiled(), "l1")
    assert snap["excluded_reason"] == reason
    assert snap["qualifies_mql"] is (reason is None)
    if reason is not None:
        assert snap["mql_reason"] == f"excluded: {reason}"
        assert snap["priority_rank"] > 16
        assert reason in world.parts(compiled(), "l1", "exclusion")


def test_exclusion_signal_reads_all_history_up_to_t(world: World) -> None:
    world.lead("l1", seniority="vp")
    world.activities("l1", "page_view", [400, 500], url="/careers")
    world.activities("l1", "page_view", [-1, -2], url="/careers")  # after T
    assert world.score(compiled(), "l1")["excluded_reason"] == "job_seeker"
    world.lead("l2", seniority="vp")
    world.activities("l2", "page_view", [1, -2], url="/careers")
    assert world.score(compiled(), "l2")["excluded_reason"] is None


@pytest.mark.parametrize(
    ("seniority", "activity", "age", "trigger"),
    [
        ("vp", "demo_request", 1, "demo_request"),
        ("manager", "demo_request", 13.9, "demo_request"),  # grade B, inside 14 days
        ("manager", "demo_request", 14.1, None),  # too old
        ("staff", "demo_request", 1, None),  # grade C: demo needs B
        ("staff", "chat", 1, "chat"),  # chat accepts C
        (None, "chat", 1, None),  # grade D
        ("vp", "demo_request", -1, None),  # after T
    ],
)
def test_triggers_by_grade_and_window(
    world: World, seniority: str | None, activity: str, age: float, trigger: str | None
) -> None:
    world.lead("l1", seniority=seniority)
    world.activities("l1", activity, [age])
    snap = world.score(compiled(), "l1")
    assert snap["trigger_rule"] == trigger
    assert snap["qualifies_mql"] is (trigger is not None)
    if trigger:
        assert snap["mql_reason"] == f"trigger:{trigger}"
        assert snap["priority"].endswith("1")
        assert world.parts(compiled(), "l1", "trigger")[trigger]["events"] == 1


def test_first_firing_trigger_is_named(world: World) -> None:
    world.lead("l1", seniority="vp")
    world.activities("l1", "chat", [1])
    world.activities("l1", "demo_request", [2])
    assert world.score(compiled(), "l1")["trigger_rule"] == "demo_request"


@pytest.mark.parametrize(
    ("seniority", "clicks", "qualifies", "reason", "priority"),
    [
        ("vp", 6, True, "score 60 >= 60 and grade A", "A2"),
        ("manager", 7, True, "score 70 >= 60 and grade B", "B2"),
        ("staff", 9, False, "grade C below B", "C2"),
        ("vp", 5, False, "score 50 below 60", "A3"),
        ("vp", 3, False, "score 30 below 60", "A3"),
        ("vp", 2, False, "score 20 below 60", "A4"),
    ],
)
def test_mql_verdict_reason_and_priority(
    world: World, seniority: str, clicks: int, qualifies: bool, reason: str, priority: str
) -> None:
    world.lead("l1", seniority=seniority)
    world.activities("l1", "email_click", [1 + i for i in range(clicks)])
    snap = world.score(compiled(), "l1")
    assert (snap["qualifies_mql"], snap["mql_reason"], snap["priority"]) == (
        qualifies,
        reason,
        priority,
    )


def test_priority_rank_orders_tier_then_grade_excluded_last(world: World) -> None:
    # A1, B1, A2, B2, C2, A3, A4, and an excluded A1-shaped lead
    setups: dict[str, tuple[str, int, list[str]]] = {
        "a1": ("vp", 0, ["demo_request"]),
        "b1": ("manager", 0, ["demo_request"]),
        "a2": ("vp", 7, []),
        "b2": ("manager", 7, []),
        "c2": ("staff", 7, []),
        "a3": ("vp", 4, []),
        "a4": ("vp", 0, []),
    }
    for lead, (seniority, clicks, extra) in setups.items():
        world.lead(lead, seniority=seniority)
        world.activities(lead, "email_click", [1 + i for i in range(clicks)])
        for act in extra:
            world.activities(lead, act, [1])
    world.lead("x1", seniority="vp", title="student")
    world.activities("x1", "demo_request", [1])
    scores = world.scores(compiled())
    ranked = sorted(scores, key=lambda k: (scores[k]["priority_rank"], k))
    assert ranked == ["a1", "b1", "a2", "b2", "c2", "a3", "a4", "x1"]
    assert {k: scores[k]["priority"] for k in ("a1", "b1", "c2", "a4")} == {
        "a1": "A1",
        "b1": "B1",
        "c2": "C2",
        "a4": "A4",
    }
    assert scores["a1"]["priority_rank"] == 1
    assert scores["b2"]["priority_rank"] == 6


def test_warm_score_default_and_override(world: World) -> None:
    world.lead("l1", seniority="vp")
    world.activities("l1", "email_click", [1, 2])  # score 20
    assert world.score(compiled(), "l1")["priority"] == "A4"  # warm = 30
    assert world.score(compiled(priority={"warm_score": 20}), "l1")["priority"] == "A3"


MQA: dict[str, Any] = {
    "mql": {"min_grade": "B", "min_score": 60},
    "mqa": {"min_engaged_contacts": 2, "engaged_contact_score": 20, "min_account_score": 70},
}


def test_account_mqa_roll_up(world: World) -> None:
    world.account("big")
    world.account("small")
    for lead, clicks in (("b1", 3), ("b2", 2), ("b3", 1)):
        world.lead(lead, account_id="big")
        world.activities(lead, "email_click", [1 + i for i in range(clicks)])
    world.lead("b-merged", account_id="big", merged_into="b3")
    world.activities("b-merged", "email_click", [5])  # counts for b3 → 20
    world.lead("b-later", account_id="big", created_at=days_before(-3))
    world.activities("b-later", "email_click", [1, 2, 3, 4])
    world.lead("s1", account_id="small")
    world.activities("s1", "email_click", [1, 2, 3, 4, 5, 6, 7, 8])
    world.lead("solo")
    scores = world.scores(compiled(stages=MQA))
    big = scores["b1"]
    assert (
        big["account_score"],
        big["account_engaged_contacts"],
        big["account_qualifies_mqa"],
    ) == (70, 3, True)
    assert scores["b2"]["account_score"] == 70  # on every lead's row
    small = scores["s1"]
    assert (
        small["account_score"],
        small["account_engaged_contacts"],
        small["account_qualifies_mqa"],
    ) == (80, 1, False)
    assert scores["solo"]["account_score"] is None


def test_account_intent_pools_contacts_evidence(world: World) -> None:
    world.account("acc")
    for stage in ("problem", "solution", "product"):
        world.content(f"dq-{stage}", ["dq"], stage)
    world.lead("p1", account_id="acc")
    world.lead("p2", account_id="acc")
    world.activity("p1", "page_view", days_before(5), content_id="dq-problem")
    world.activity("p2", "page_view", days_before(3), content_id="dq-solution")
    world.activity("p2", "page_view", days_before(1), content_id="dq-product")
    intent = {
        "topics": ["dq"],
        "stage_points": {"problem": 3, "solution": 6, "product": 10},
        "journey_bonus": {"points": 20, "within_days": 21},
    }
    scores = world.scores(compiled(stages=MQA, intent=intent))
    assert scores["p1"]["intent"] == 3
    assert scores["p2"]["intent"] == 16  # no journey alone
    # account: 3 + 16 from the contacts, plus account intent 3 + 6 + 10 + 20 (journey)
    assert scores["p1"]["account_score"] == 19 + 39


def test_without_mqa_account_columns_are_null(world: World) -> None:
    world.account("acc")
    world.lead("l1", account_id="acc")
    snap = world.score(compiled(), "l1")
    assert (
        snap["account_score"],
        snap["account_engaged_contacts"],
        snap["account_qualifies_mqa"],
    ) == (None, None, None)
