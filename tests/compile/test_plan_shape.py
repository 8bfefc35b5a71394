"""SQL shape of the compiled plan: columns, parameters, fragments, and that the
same expressions transpile to PostgreSQL without UnsupportedError (not run)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from leadline.contract.compiler import CompiledContract, compile_contract
from leadline.contract.schema import Contract
from leadline.store.duckdb import DuckDBEngine

BASE: dict[str, Any] = {
    "contract": "shape",
    "fit": {
        "rules": [
            {"field": "account.industry", "in": ["software"], "points": 20},
            {"field": "lead.attributes.persona", "equals": "x", "points": 5},
            {"field": "lead.title", "matches": "(?i)data", "points": 5},
        ],
        "grades": {"A": 50, "B": 30, "C": 10},
    },
    "behaviour": {
        "rules": [
            {
                "name": "pricing",
                "activity": "page_view",
                "url_matches": "/pricing",
                "points": 10,
                "cap": {"points": 30, "per_days": 7},
            },
            {"name": "dq", "activity": "content_download", "topics": ["dq"], "points": 8},
            {
                "name": "minutes",
                "activity": "site_visit_summary",
                "points": 1,
                "value_per_point": 10,
                "decay": False,
            },
        ],
        "triggers": [{"name": "demo", "activity": "demo_request"}],
    },
    "intent": {"topics": ["dq"], "journey_bonus": {"points": 20}},
    "exclude": {
        "competitor_domains": ["rival.example"],
        "rules": [{"field": "lead.title", "matches": "student", "reason": "student"}],
        "activity_signals": [
            {"activity": "page_view", "url_matches": "/careers", "reason": "job_seeker"}
        ],
    },
    "stages": {
        "mql": {"min_score": 60},
        "mqa": {"min_engaged_contacts": 2, "min_account_score": 100},
    },
}
MINIMAL: dict[str, Any] = {
    "contract": "minimal",
    "fit": {"grades": {"A": 50, "B": 30, "C": 10}},
    "stages": {"mql": {"min_score": 60}},
}
CONTRACTS = {"full": BASE, "minimal": MINIMAL}


def compiled(name: str) -> CompiledContract:
    return compile_contract(Contract.model_validate(CONTRACTS[name]), "v-shape")


QUERIES = [
    (name, kind, lead_ids)
    for name in CONTRACTS
    for kind in ("snapshot", "parts")
    for lead_ids in (False, True)
]


def query(c: CompiledContract, kind: str, lead_ids: bool) -> exp.Select:
    return c.snapshot_query(lead_ids) if kind == "snapshot" else c.parts_query(lead_ids)


@pytest.mark.parametrize(("name", "kind", "lead_ids"), QUERIES)
def test_transpiles_to_postgres(name: str, kind: str, lead_ids: bool) -> None:
    sql = query(compiled(name), kind, lead_ids).sql(
        dialect="postgres", unsupported_level=ErrorLevel.RAISE
    )
    assert "%(as_of)s" in sql
    assert ("%(lead_ids)s" in sql) is lead_ids


@pytest.mark.parametrize(("name", "kind", "lead_ids"), QUERIES)
def test_parameters(name: str, kind: str, lead_ids: bool) -> None:
    params = {p.name for p in query(compiled(name), kind, lead_ids).find_all(exp.Placeholder)}
    assert params == ({"as_of", "lead_ids"} if lead_ids else {"as_of"})


@pytest.mark.parametrize(
    ("name", "kind", "table"),
    [
        ("full", "snapshot", "score_snapshots"),
        ("full", "parts", "score_parts"),
        ("minimal", "snapshot", "score_snapshots"),
        ("minimal", "parts", "score_parts"),
    ],
)
def test_output_columns_match_the_store_tables(
    engine: DuckDBEngine, name: str, kind: str, table: str
) -> None:
    stored = [
        r[0]
        for r in engine.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position",
            [table],
        )
    ]
    assert query(compiled(name), kind, False).named_selects == stored[1:]  # all but run_id
    # and the engine accepts the query as is (types line up, it runs on an empty store)
    assert (
        engine.fetch_dicts(query(compiled(name), kind, False), {"as_of": "2024-01-01 00:00:00"})
        == []
    )


# (fragment the rendered DuckDB SQL must contain, why)
FRAGMENTS = [
    ("POWER(0.5", "decay is 0.5 ^ (age / half-life)"),
    ("EPOCH(CAST($as_of AS TIMESTAMP)) - EPOCH(a.occurred_at)", "age in days by epoch arithmetic"),
    ("a.occurred_at <= CAST($as_of AS TIMESTAMP)", "only activities known at T"),
    ("l.created_at <= CAST($as_of AS TIMESTAMP)", "only leads known at T"),
    ("COALESCE(m.merged_into, m.lead_id)", "activities follow the survivor"),
    ("l.merged_into IS NULL", "merged leads are not scored"),
    ("REGEXP_MATCHES(x.url", "url_matches (case-insensitive)"),
    ("GROUP BY e.lead_id, e.rule_idx, e.bucket", "caps per (lead, rule, window)"),
    ("p.positive_points > p.cap_points", "only pairs a cap can bind are split"),
    ("->> '$.persona'", "attribute fields read JSON"),
    ("x.topics && ['dq']", "topic matching is list overlap"),
    ("UNNEST(x.topics)", "intent evidence per topic"),
]


@pytest.mark.parametrize(("fragment", "why"), FRAGMENTS)
def test_fragments(fragment: str, why: str) -> None:
    sql = compiled("full").snapshot_query().sql(dialect="duckdb")
    assert fragment in sql, why


def test_first_match_is_one_case_expression() -> None:
    """Every activity is tagged by ONE CASE over the rules in contract order."""
    sql = compiled("full").snapshot_query().sql(dialect="duckdb")
    case = sql[sql.index("CASE WHEN (x.activity_type IN ('page_view')") :]
    case = case[: case.index(" END AS rule_idx")]
    order = [case.index(t) for t in ("'page_view'", "'content_download'", "'site_visit_summary'")]
    assert order == sorted(order)


def test_compiled_once_and_queries_are_copies() -> None:
    c = compiled("full")
    first = c.snapshot_query()
    first.set("where", exp.false())
    assert c.snapshot_query().sql() != first.sql()
    assert c.snapshot_query().sql() == c.snapshot_query().sql()


def test_lead_filter_only_changes_scope_and_final_filter() -> None:
    c = compiled("full")
    batch = c.snapshot_query(False).sql(dialect="duckdb")
    single = c.snapshot_query(True).sql(dialect="duckdb")
    assert "= ANY($lead_ids)" in single and "$lead_ids" not in batch
    # after the scope CTEs, the only difference is where the activity passes
    # read from (the scoped leads' activities): the same formulas otherwise
    scope = single[single.index(", _ll_scope_acts AS MATERIALIZED (") :]
    scope = scope[: scope.index(", _ll_eng_pairs AS")]
    assert "a.lead_id IN (SELECT k.source_id FROM _ll_keys AS k)" in scope
    assert "_ll_scope_acts" not in batch
    single = single.replace(scope, "").replace("FROM _ll_scope_acts AS a", "FROM activities AS a")
    assert (
        batch.split("_ll_keys AS", 1)[1].split("SELECT s.lead_id", 1)[0]
        == single.split("_ll_keys AS", 1)[1].split("SELECT s.lead_id", 1)[0]
    )


def test_contract_values_are_quoted() -> None:
    data = {
        **MINIMAL,
        "fit": {
            "rules": [
                {"field": "lead.title", "equals": "o'brien); DROP", "points": 1, "name": "it's"}
            ],
            "grades": {"A": 50, "B": 30, "C": 10},
        },
    }
    c = compile_contract(Contract.model_validate(data), "v")
    assert "'o''brien); drop'" in c.snapshot_query().sql(dialect="duckdb")
    assert "'it''s'" in c.parts_query().sql(dialect="duckdb")
