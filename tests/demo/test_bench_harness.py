"""The benchmark harness at a toy scale: its contract, its data and its pandas twin.

The pandas script must compute exactly what leadline computes, or the
"pandas / leadline" ratio compares different work; this pins that.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import common  # noqa: E402
import data  # noqa: E402
import pandas_score  # noqa: E402
import scoring  # noqa: E402
from leadline.contract.schema import FitRule  # noqa: E402
from leadline.store import migrate  # noqa: E402
from leadline.store.duckdb import DuckDBEngine  # noqa: E402

TOY = common.Scale("toy", leads=3_000, activities=40_000, accounts=300, content=60)


def _store(path: Path) -> DuckDBEngine:
    engine = DuckDBEngine.at(path)
    migrate(engine)
    data.fill(engine, TOY)
    return engine


def test_bench_contract_is_realistic() -> None:
    contract = scoring.load_contract()
    assert len(contract.fit.rules) == 8
    assert len(contract.behaviour.rules) == 10
    assert any(r.cap for r in contract.behaviour.rules)
    assert any(r.points < 0 for r in contract.behaviour.rules)
    assert len(contract.behaviour.triggers) == 3
    assert contract.intent is not None and contract.intent.journey_bonus is not None
    assert contract.exclude.activity_signals and contract.exclude.competitor_domains
    assert contract.stages.mqa is not None


def test_generated_data_is_reproducible(tmp_path: Path) -> None:
    digests = []
    for name in ("a", "b"):
        engine = _store(tmp_path / f"{name}.duckdb")
        digests.append(
            engine.fetch(
                "SELECT (SELECT sum(hash(lead_id, activity_type, occurred_at, url, content_id)) "
                "FROM activities), "
                "(SELECT sum(hash(lead_id, email, title, account_id)) FROM leads), "
                "(SELECT count(*) FROM activities), (SELECT count(*) FROM leads)"
            )
        )
        engine.close()
    assert digests[0] == digests[1]
    assert digests[0][0][2:] == (TOY.activities, TOY.leads)


# Fit rules combining conditions, added to the benchmark contract in one case.
COMBINED_RULES = [
    {
        "name": "icp",
        "field": "account.industry",
        "in": ["software"],
        "and": [{"field": "account.employees", "at_least": 200}],
        "points": 15,
    },
    {
        "name": "exec or big",
        "field": "lead.seniority",
        "in": ["c_level"],
        "or": [{"field": "account.annual_revenue", "at_least": 50_000_000}],
        "points": 5,
    },
]


# Behaviour rules given their own half-life in the same case.
OWN_HALF_LIFE = {"demo request": 90.0, "page view": 7.0}


@pytest.mark.parametrize(
    "newer", [False, True], ids=["bench contract", "with and/or rules and own half-lives"]
)
def test_pandas_script_agrees_with_leadline(tmp_path: Path, newer: bool) -> None:
    engine = _store(tmp_path / "store.duckdb")
    contract = scoring.load_contract()
    if newer:
        rules = [*contract.fit.rules, *(FitRule.model_validate(r) for r in COMBINED_RULES)]
        behaviour = [
            r.model_copy(update={"half_life_days": OWN_HALF_LIFE.get(r.name)})
            for r in contract.behaviour.rules
        ]
        assert sum(r.half_life_days is not None for r in behaviour) == len(OWN_HALF_LIFE)
        contract = contract.model_copy(
            update={
                "fit": contract.fit.model_copy(update={"rules": rules}),
                "behaviour": contract.behaviour.model_copy(update={"rules": behaviour}),
            }
        )
    _, _, run_id = scoring.run_leadline(engine, contract)
    ours = pandas_score.score(pandas_score.load(engine), contract, data.AS_OF)
    disagreements = scoring.compare(engine, run_id, ours)
    assert disagreements == dict.fromkeys(disagreements, 0)
    mqls = engine.scalar(
        "SELECT count(*) FROM score_snapshots WHERE run_id = ? AND qualifies_mql", [run_id]
    )
    excluded = engine.scalar(
        "SELECT count(DISTINCT excluded_reason) FROM score_snapshots WHERE run_id = ?", [run_id]
    )
    assert mqls > 0 and excluded >= 3  # the data exercises the contract, not just zeros
    engine.close()


def test_results_are_written_as_json_and_markdown(tmp_path: Path) -> None:
    result = common.Result("scoring", TOY)
    result.timings.append(common.Timing("floor", 0.5))
    result.checks.append(common.Check("leadline / floor", 2.0, "<=", 3.0))
    result.checks.append(common.Check("pandas / leadline", None, ">=", 3.0))
    js, md = common.write(
        result,
        {
            "cores": 2,
            "memory_gib": 24,
            "python": "3.11",
            "duckdb": "2",
            "sqlglot": "30",
            "pandas": "3",
        },
        tmp_path,
    )
    body = json.loads(js.read_text())
    assert [c["passed"] for c in body["checks"]] == [True, None]
    text = md.read_text()
    assert "| leadline / floor | 2.00× | <= 3× | pass |" in text
    assert "not measured" in text


@pytest.mark.parametrize(("env", "expected"), [("small", "small"), ("", "full"), ("FULL", "full")])
def test_scale_from_env(monkeypatch: pytest.MonkeyPatch, env: str, expected: str) -> None:
    monkeypatch.setenv("BENCH_SCALE", env)
    assert common.scale_from_env().name == expected
