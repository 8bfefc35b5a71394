"""Fit: every operator on lead, account and attribute fields, and grade cut-offs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from leadline.contract.compiler import CompiledContract

from .conftest import World, contract

LEAD = {
    "title": "Head of Data",
    "seniority": "VP",
    "email_domain": "acme.com",
    "attributes": json.dumps({"persona": "Builder", "score": "42"}),
}
ACCOUNT = {
    "industry": "Software",
    "employees": 300,
    "annual_revenue": 5e7,
    "country": "US",
    "owner": "amy",
}

# (condition, lead has account?, matches?)
CASES: list[tuple[dict[str, Any], bool, bool]] = [
    ({"field": "account.industry", "in": ["software", "fintech"]}, True, True),
    ({"field": "account.industry", "in": ["SOFTWARE"]}, True, True),  # case-insensitive
    ({"field": "account.industry", "in": ["retail"]}, True, False),
    ({"field": "account.industry", "in": ["software"]}, False, False),  # missing never matches
    ({"field": "account.industry", "not_in": ["retail"]}, True, True),
    ({"field": "account.industry", "not_in": ["software"]}, True, False),
    ({"field": "account.industry", "not_in": ["retail"]}, False, False),  # missing
    ({"field": "account.employees", "between": [200, 5000]}, True, True),
    ({"field": "account.employees", "between": [300, 300]}, True, True),  # inclusive
    ({"field": "account.employees", "between": [301, 5000]}, True, False),
    ({"field": "account.employees", "at_least": 300}, True, True),
    ({"field": "account.employees", "at_least": 301}, True, False),
    ({"field": "account.employees", "at_most": 300}, True, True),
    ({"field": "account.employees", "at_most": 100}, False, False),  # missing
    ({"field": "account.annual_revenue", "at_least": 2e7}, True, True),
    ({"field": "account.employees", "in": [300, 400]}, True, True),
    ({"field": "lead.title", "matches": "data|analytics"}, True, True),
    ({"field": "lead.title", "matches": "DATA"}, True, True),  # case-insensitive regex
    ({"field": "lead.title", "matches": "^student"}, True, False),
    ({"field": "lead.seniority", "equals": "vp"}, True, True),
    ({"field": "lead.seniority", "equals": "director"}, True, False),
    ({"field": "lead.department", "equals": "it"}, True, False),  # NULL department
    ({"field": "lead.department", "missing": True}, True, True),
    ({"field": "lead.department", "missing": False}, True, False),
    ({"field": "lead.title", "missing": True}, True, False),
    ({"field": "account.industry", "missing": True}, False, True),
    ({"field": "account.has_owner", "equals": True}, True, True),
    ({"field": "account.has_owner", "equals": True}, False, False),
    ({"field": "lead.attributes.persona", "equals": "builder"}, True, True),
    ({"field": "lead.attributes.persona", "in": ["Builder", "buyer"]}, True, True),
    ({"field": "lead.attributes.score", "at_least": 40}, True, True),
    ({"field": "lead.attributes.score", "at_least": 43}, True, False),
    ({"field": "lead.attributes.absent", "equals": "x"}, True, False),
    ({"field": "lead.attributes.absent", "missing": True}, True, True),
    ({"field": "account.attributes.tier", "missing": True}, True, True),
]


@pytest.mark.parametrize(("condition", "with_account", "matches"), CASES)
def test_fit_operator(
    world: World, condition: dict[str, Any], with_account: bool, matches: bool
) -> None:
    compiled = _one_rule(world, {**condition, "name": "r"}, with_account)
    assert world.score(compiled, "l1")["fit_points"] == (7 if matches else 0)
    assert ("r" in world.parts(compiled, "l1", "fit")) is matches


def _one_rule(world: World, rule: dict[str, Any], with_account: bool) -> CompiledContract:
    """Lead ``l1`` (at account ``a1`` if ``with_account``) and a contract of one 7-point rule."""
    if with_account:
        world.account("a1", **ACCOUNT)
    world.lead("l1", account_id="a1" if with_account else None, **LEAD)
    return contract(fit={"rules": [{**rule, "points": 7}], "grades": {"A": 50, "B": 30, "C": 10}})


@pytest.mark.parametrize(
    ("points", "grade"),
    [(50, "A"), (49, "B"), (30, "B"), (29.5, "C"), (10, "C"), (9, "D"), (-20, "D")],
)
def test_grade_cut_offs(world: World, points: float, grade: str) -> None:
    world.lead("l1", title="x")
    compiled = contract(
        fit={
            "rules": [{"field": "lead.title", "equals": "x", "points": points}],
            "grades": {"A": 50, "B": 30, "C": 10},
        }
    )
    assert world.score(compiled, "l1")["grade"] == grade


def test_matching_rules_add_up_and_parts_name_them(world: World) -> None:
    world.account("a1", **ACCOUNT)
    world.lead("l1", account_id="a1", **LEAD)
    compiled = contract(
        fit={
            "rules": [
                {"field": "account.industry", "in": ["software"], "points": 20, "name": "industry"},
                {"field": "lead.seniority", "in": ["vp"], "points": 15},
                {"field": "lead.title", "matches": "student", "points": -50, "name": "student"},
            ],
            "grades": {"A": 50, "B": 30, "C": 10},
        }
    )
    snap = world.score(compiled, "l1")
    assert snap["fit_points"] == 35
    assert snap["grade"] == "B"
    parts = world.parts(compiled, "l1", "fit")
    assert set(parts) == {"industry", "lead.seniority in [vp]"}
    assert sum(p["points"] for p in parts.values()) == snap["fit_points"]


INDUSTRY = {"field": "account.industry", "in": ["software"]}  # true for ACCOUNT
SMALL = {"field": "account.employees", "at_most": 100}  # false for ACCOUNT (300)
VP = {"field": "lead.seniority", "equals": "vp"}  # true for LEAD
NO_DEPT = {"field": "lead.department", "missing": True}  # true for LEAD

# (rule's own condition, "and" | "or", more conditions, lead has account?, matches?)
COMBINED: list[tuple[dict[str, Any], str, list[dict[str, Any]], bool, bool]] = [
    (INDUSTRY, "and", [VP], True, True),
    (INDUSTRY, "and", [VP, NO_DEPT], True, True),
    (INDUSTRY, "and", [SMALL], True, False),  # one false condition is enough
    (INDUSTRY, "and", [VP], False, False),  # no account: the industry is missing
    (INDUSTRY, "or", [SMALL], True, True),
    (SMALL, "or", [INDUSTRY], True, True),
    (SMALL, "or", [{**SMALL, "at_most": 10}], True, False),
    (INDUSTRY, "or", [VP], False, True),  # a missing field fails only its own condition
    ({"field": "account.industry", "missing": True}, "and", [VP], False, True),
]


@pytest.mark.parametrize(("own", "word", "more", "with_account", "matches"), COMBINED)
def test_a_rule_combining_conditions(
    world: World,
    own: dict[str, Any],
    word: str,
    more: list[dict[str, Any]],
    with_account: bool,
    matches: bool,
) -> None:
    compiled = _one_rule(world, {**own, word: more}, with_account)
    assert world.score(compiled, "l1")["fit_points"] == (7 if matches else 0)
    # unnamed, the rule is named after all of its conditions, in the order written
    names = list(world.parts(compiled, "l1", "fit"))
    if matches:
        assert len(names) == 1 and names[0].count(f" {word} ") == len(more)
        assert names[0].startswith(own["field"])
    else:
        assert names == []


def test_a_combined_rule_counts_once_where_two_rules_would_add_up(world: World) -> None:
    world.account("a1", **ACCOUNT)
    world.lead("l1", account_id="a1", **LEAD)
    world.account("a2", **{**ACCOUNT, "industry": "retail"})
    world.lead("l2", account_id="a2", **LEAD)  # a VP, but not at a software company
    compiled = contract(
        fit={
            "rules": [{**INDUSTRY, "and": [VP], "points": 30, "name": "icp core"}],
            "grades": {"A": 30, "B": 20, "C": 10},
        }
    )
    assert world.score(compiled, "l1")["grade"] == "A"
    assert world.score(compiled, "l2")["fit_points"] == 0
    part = world.parts(compiled, "l1", "fit")["icp core"]
    assert part["detail"] == "account.industry in [software] and lead.seniority equals vp"
