"""Loading: every problem at once, stable versions, shipped contracts load cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadline.contract import LoadedContract, load_contract, load_contract_text
from leadline.contract.yamlpos import load_yaml
from leadline.errors import ContractErrors

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "contract.yaml"
STARTER = REPO / "src" / "leadline" / "contract" / "starter.yaml"

BASE = """\
contract: acme
fit:
  rules:
    - {field: account.industry, in: [software, fintech], points: 20}
    - {field: lead.seniority, in: [vp, c_level], points: 15}
  grades: {A: 30, B: 20, C: 10}
behaviour:
  half_life_days: 30
  rules:
    - {name: demo, activity: demo_request, points: 40}
stages:
  mql: {min_grade: B, min_score: 60}
"""

REFORMATTED = """\
# the same contract, reformatted and commented
contract: "acme"
stages:
  mql:
    min_score: 60.0   # same number, different spelling
    min_grade: 'B'
behaviour:
  rules:
    - name: demo
      activity: demo_request
      points: 40
  half_life_days: 30
fit:
  grades:
    C: 10
    B: 20
    A: 30
  rules:
    - field: account.industry
      in:
        - software
        - fintech
      points: 20
    - {field: lead.seniority, in: [vp, c_level], points: 15}
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(ContractErrors) as info:
        load_contract_text(text, filename="leadline.yaml")
    return [str(p) for p in info.value.problems]


def test_all_problems_reported_at_once() -> None:
    text = (
        BASE.replace("points: 20}", "pionts: 20}")
        .replace("min_score: 60", "min_score: lots")
        .replace("activity: demo_request", "activity: demo")
    )
    problems = _problems(text)
    assert len(problems) == 4, problems  # pionts (unknown + points missing), activity, min_score
    assert any("fit.rules[0].pionts: unknown key 'pionts'" in p for p in problems)
    assert any("behaviour.rules[0].activity: unknown activity type 'demo'" in p for p in problems)
    assert any("stages.mql.min_score: expected a number, got 'lots'" in p for p in problems)


def test_three_errors_three_problems() -> None:
    text = (
        BASE.replace("points: 15}", "points: high}")
        .replace("half_life_days: 30", "half_life_days: -1")
        .replace("min_grade: B", "min_grade: Z")
    )
    assert _problems(text) == [
        "leadline.yaml:5:58: fit.rules[1].points: expected a number, got 'high'",
        "leadline.yaml:8:19: behaviour.half_life_days: must be greater than 0, got -1",
        "leadline.yaml:12:20: stages.mql.min_grade: expected 'A', 'B', 'C' or 'D', got 'Z'",
    ]


def test_version_stable_under_formatting_and_comments() -> None:
    a, b = load_contract_text(BASE), load_contract_text(REFORMATTED)
    assert a.version == b.version
    assert len(a.version) == 12 and int(a.version, 16) >= 0


def test_version_changes_with_points() -> None:
    changed = load_contract_text(BASE.replace("points: 40", "points: 45"))
    assert changed.version != load_contract_text(BASE).version


def test_an_unchanged_contract_keeps_its_version_across_releases() -> None:
    """Every score and stage move records the version: a leadline release that gave an
    unchanged contract a new one would split its history.  If this fails, a change
    to the schema or the hashing did that; an optional key must stay out of the hash
    while unset (the fit rule's ``and`` / ``or`` once changed every version)."""
    assert load_contract_text(BASE).version == "5c5aed091888"


def test_version_counts_defaults_written_out() -> None:
    # half_life_days defaults to 30: writing it out or not is the same contract.
    without = BASE.replace("  half_life_days: 30\n", "")
    assert load_contract_text(without).version == load_contract_text(BASE).version


@pytest.mark.parametrize("path", [EXAMPLE, STARTER], ids=["example", "starter"])
def test_shipped_contracts_load(path: Path) -> None:
    loaded = load_contract(path)
    assert isinstance(loaded, LoadedContract)
    assert loaded.path == str(path)
    assert loaded.text == path.read_text(encoding="utf-8")
    assert loaded.name and loaded.contract.fit.rules and loaded.contract.behaviour.triggers


def test_example_demonstrates_required_features() -> None:
    c = load_contract(EXAMPLE).contract
    fit_fields = {r.field for r in c.fit.rules}
    assert {
        "account.industry",
        "account.employees",
        "account.annual_revenue",
        "account.country",
        "lead.seniority",
        "lead.department",
        "lead.title",
    } <= fit_fields
    assert any(r.field == "lead.title" and r.points < 0 for r in c.fit.rules)
    assert any(r.combined is not None for r in c.fit.rules)  # a rule with `and`
    assert any(r.half_life_days is not None for r in c.behaviour.rules)  # its own decay
    acts = {a for r in c.behaviour.rules for a in r.activities}
    assert {
        "demo_request",
        "pricing_request",
        "content_download",
        "webinar_attended",
        "page_view",
        "email_unsubscribe",
        "email_bounce",
    } <= acts
    assert any(r.cap and "page_view" in r.activities for r in c.behaviour.rules)
    assert {a for t in c.behaviour.triggers for a in t.activities} >= {
        "demo_request",
        "pricing_request",
        "contact_sales",
    }
    assert c.intent is not None and c.intent.journey_bonus is not None
    assert c.exclude.competitor_domains and c.exclude.free_mail_without_company
    assert {r.reason for r in c.exclude.rules} >= {"student", "test_record"}
    assert any("careers" in (s.url_matches or "") for s in c.exclude.activity_signals)
    assert c.stages.mqa is not None and c.stages.recycle.reasons


def test_missing_file_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(ContractErrors) as info:
        load_contract(tmp_path / "nope.yaml")
    assert "cannot read the contract" in str(info.value)
    assert info.value.to_dict()["errors"][0]["file"] == str(tmp_path / "nope.yaml")


def test_load_contract_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "leadline.yaml"
    path.write_text(BASE.replace("points: 40", "points: many"), encoding="utf-8")
    with pytest.raises(ContractErrors) as info:
        load_contract(path)
    assert str(info.value).startswith(f"{path}:10:")


def test_error_envelope_shape() -> None:
    with pytest.raises(ContractErrors) as info:
        load_contract_text(BASE.replace("points: 40", "points: x"), "c.yaml")
    assert info.value.to_dict()["errors"] == [
        {
            "file": "c.yaml",
            "line": 10,
            "column": 52,
            "path": "behaviour.rules[0].points",
            "message": "expected a number, got 'x'",
            "hint": None,
        }
    ]


def test_positions_for_keys_and_values() -> None:
    located = load_yaml("a:\n  b: [1, {c: 2}]\n", "f.yaml")
    pos = located.positions
    assert located.data == {"a": {"b": [1, {"c": 2}]}}
    assert pos.keys[("a", "b")] == (2, 3)
    assert pos.values[("a", "b")] == (2, 6)
    assert pos.values[("a", "b", 1, "c")] == (2, 14)
    assert pos.keys[("a", "b", 1, "c")] == (2, 11)
    # an unknown path falls back to its nearest located ancestor
    assert pos.locate(("a", "b", 1, "zzz")) == (2, 10)
