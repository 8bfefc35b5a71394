"""Table-driven diff cases: (edit to the base contract) → expected changes."""

from __future__ import annotations

from typing import Any

import pytest

from leadline.contract import diff_contracts, load_contract_text

from .test_loader import BASE, REFORMATTED

EXTRA = """\
intent:
  topics: [data-quality]
exclude:
  competitor_domains: [rival.example]
"""

# (id, replacements applied to BASE + EXTRA, expected (section, key, kind) changes)
CASES: list[tuple[str, list[tuple[str, str]], list[tuple[str, str, str]]]] = [
    (
        "fit points changed",
        [("in: [vp, c_level], points: 15", "in: [vp, c_level], points: 25")],
        [("fit.rules", "lead.seniority in [vp, c_level]", "changed")],
    ),
    (
        "fit rule added",
        [
            (
                "  grades:",
                "    - {name: size, field: account.employees, at_least: 200,"
                " points: 10}\n  grades:",
            )
        ],
        [("fit.rules", "size", "added")],
    ),
    (
        "fit rule removed",
        [
            ("    - {field: lead.seniority, in: [vp, c_level], points: 15}\n", ""),
            ("A: 30", "A: 20"),
        ],
        [
            ("fit.rules", "lead.seniority in [vp, c_level]", "removed"),
            ("fit.grades", "A", "changed"),
        ],
    ),
    ("grade cut-off", [("A: 30", "A: 35")], [("fit.grades", "A", "changed")]),
    (
        "mql threshold",
        [("min_score: 60", "min_score: 70")],
        [("stages.mql", "min_score", "changed")],
    ),
    (
        "half-life",
        [("half_life_days: 30", "half_life_days: 14")],
        [("behaviour", "half_life_days", "changed")],
    ),
    (
        "behaviour rule added and trigger added",
        [
            (
                "    - {name: demo, activity: demo_request, points: 40}\n",
                "    - {name: demo, activity: demo_request, points: 40}\n"
                "    - {name: webinar, activity: webinar_attended, points: 20}\n"
                "  triggers:\n    - {name: demo, activity: demo_request, min_grade: A}\n",
            )
        ],
        [("behaviour.rules", "webinar", "added"), ("behaviour.triggers", "demo", "added")],
    ),
    (
        "exclusion domain swapped",
        [("rival.example", "other.example")],
        [
            ("exclude.competitor_domains", "rival.example", "removed"),
            ("exclude.competitor_domains", "other.example", "added"),
        ],
    ),
    (
        "exclusion rule added",
        [
            (
                "  competitor_domains:",
                "  rules:\n    - {field: lead.seniority, equals: student, "
                "reason: student}\n  competitor_domains:",
            )
        ],
        [("exclude.rules", "student: lead.seniority equals student", "added")],
    ),
    (
        "mqa added",
        [("  mql: {", "  mqa: {min_account_score: 100}\n  mql: {")],
        [
            ("stages.mqa", "min_engaged_contacts", "added"),
            ("stages.mqa", "engaged_contact_score", "added"),
            ("stages.mqa", "min_account_score", "added"),
        ],
    ),
    (
        "intent topic added",
        [("[data-quality]", "[data-quality, observability]")],
        [("intent.topics", "observability", "added")],
    ),
    (
        "a condition added to an unnamed rule makes it another rule",
        [
            (
                "in: [vp, c_level], points: 15}",
                "in: [vp, c_level], and: [{field: account.employees, at_least: 200}], points: 15}",
            )
        ],
        [
            ("fit.rules", "lead.seniority in [vp, c_level]", "removed"),
            (
                "fit.rules",
                "lead.seniority in [vp, c_level] and account.employees at_least 200",
                "added",
            ),
        ],
    ),
    (
        "reordered rules are not a change",
        [
            (
                "    - {field: account.industry, in: [software, fintech], points: 20}\n"
                "    - {field: lead.seniority, in: [vp, c_level], points: 15}\n",
                "    - {field: lead.seniority, in: [vp, c_level], points: 15}\n"
                "    - {field: account.industry, in: [software, fintech], points: 20}\n",
            )
        ],
        [],
    ),
]


def _load(edits: list[tuple[str, str]]) -> Any:
    text = BASE + EXTRA
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return load_contract_text(text)


@pytest.mark.parametrize(("edits", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_diff_cases(edits: list[tuple[str, str]], expected: list[tuple[str, str, str]]) -> None:
    old, new = _load([]), _load(edits)
    diff = diff_contracts(old, new)
    assert [(c.section, c.key, c.kind) for c in diff.changes] == expected
    assert bool(diff) == bool(expected)
    assert len(diff.lines()) == max(len(expected), 1)


def test_changed_rule_carries_old_and_new_and_reads_well() -> None:
    diff = diff_contracts(_load([]), _load(CASES[0][1]))
    change = diff.changes[0]
    assert change.old["points"] == 15 and change.new["points"] == 25
    assert diff.lines() == ["~ fit.rules 'lead.seniority in [vp, c_level]': points 15 → 25"]
    data = diff.to_dict()
    assert data["old_version"] != data["new_version"]
    assert data["changes"][0]["kind"] == "changed"


def test_formatting_only_is_no_change() -> None:
    diff = diff_contracts(load_contract_text(BASE), load_contract_text(REFORMATTED))
    assert not diff and diff.lines() == ["no rule changes"]


def test_scalar_change_line() -> None:
    diff = diff_contracts(_load([]), _load([("min_score: 60", "min_score: 70")]))
    assert diff.lines() == ["~ stages.mql 'min_score': 60 → 70"]
