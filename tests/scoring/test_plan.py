"""The plan is assembled from fragments parsed once; it must be the plan its text says.

``Plan.query`` builds ``WITH ... SELECT`` from separately parsed (and cached)
CTE bodies instead of parsing the whole text; these tests hold the result to
what parsing the whole text gives, for every contract the project ships.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot

from leadline.contract import load_contract
from leadline.contract.compiler import CompiledContract, compile_contract
from leadline.scoring.plan import MATERIALIZED_CTES, Plan

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = [
    ROOT / "examples" / "contract.yaml",
    ROOT / "bench" / "contract.yaml",
    ROOT / "src" / "leadline" / "demo" / "contract.yaml",
    ROOT / "src" / "leadline" / "contract" / "starter.yaml",
]


def whole_text(plan: Plan, body: str, materialized: frozenset[str] = frozenset()) -> str:
    withs = [
        f"{name} AS {'MATERIALIZED ' if name in MATERIALIZED_CTES else ''}({sql})"
        for name, sql in plan.ctes
        if name not in materialized
    ]
    return ("WITH " + ", ".join(withs) + " " if withs else "") + body


def compiled(path: Path) -> CompiledContract:
    return compile_contract(load_contract(path).contract, "v-test")


@pytest.mark.parametrize("path", CONTRACTS, ids=lambda p: p.parent.name + "/" + p.name)
def test_assembled_plan_is_the_parsed_text(path: Path) -> None:
    c = compiled(path)
    cases = [
        (plan, body, frozenset[str]())
        for plan in (c.batch, c.filtered)
        for body in (plan.snapshot_body, plan.parts_body)
    ]
    # what scoring.run does when it keeps some CTEs as temp tables
    cases.append((c.batch, c.batch.snapshot_body, frozenset({"_ll_people", "_ll_merged"})))
    for plan, body, skip in cases:
        expected = sqlglot.parse_one(whole_text(plan, body, skip), read="duckdb")
        assembled = plan.query(body, skip)
        for dialect in ("duckdb", "postgres"):
            assert assembled.sql(dialect) == expected.sql(dialect)


def test_callers_get_copies_they_may_change() -> None:
    c = compiled(CONTRACTS[0])
    before = c.snapshot_query(lead_ids=True).sql("duckdb")
    changed = c.snapshot_query(lead_ids=True).order_by("lead_id")
    assert "ORDER BY" in changed.sql("duckdb")
    assert c.snapshot_query(lead_ids=True).sql("duckdb") == before


def test_materialized_hint_survives_assembly() -> None:
    c = compiled(CONTRACTS[0])
    text = c.snapshot_query(lead_ids=True).sql("duckdb")
    for name in MATERIALIZED_CTES:
        assert f"{name} AS MATERIALIZED (" in text
