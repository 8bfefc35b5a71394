"""The model component and the training-set queries render for PostgreSQL too."""

from __future__ import annotations

import pytest
from sqlglot.errors import ErrorLevel

from leadline.contract import load_contract_text
from leadline.contract.compiler import compile_contract
from leadline.demo.run import demo_contract
from leadline.scoring.model import Feature, LogisticSpec, feature_ctes
from leadline.scoring.plan import Plan

FEATURES = (
    Feature("source = web", "lead.lead_source", "category", field="lead.lead_source", value="web"),
    Feature("no title", "lead.title", "missing", field="lead.title"),
    Feature(
        "employees", "account.employees", "number", field="account.employees", transform="log1p"
    ),
    Feature("big", "account.employees", "at_least", field="account.employees", low=500.0),
    Feature(
        "occupation",
        "lead.attributes.occupation",
        "category",
        field="lead.attributes.occupation",
        value="working professional",
    ),
    Feature(
        "tags",
        "lead.post_contact.tags",
        "category",
        field="lead.post_contact.tags",
        value="ringing",
    ),
    Feature("age", "lead.created_at", "lead_age"),
    Feature(
        "pricing 30d",
        "activity:page_view:/pricing",
        "activity_count",
        activity="page_view",
        url_matches="^/pricing",
        window_days=30.0,
        transform="log1p",
    ),
    Feature(
        "problem",
        "activity:journey:problem",
        "activity_count",
        journey_stage="problem",
        window_days=90.0,
        transform="log1p",
    ),
    Feature(
        "time on site",
        "fact:time",
        "activity_value",
        activity="site_visit_summary",
        fact="time_on_site_seconds",
        window_days=365.0,
        low=400.0,
    ),
    Feature(
        "decayed demo",
        "activity:demo_request",
        "activity_decayed",
        activity="demo_request",
        window_days=365.0,
        half_life_days=30.0,
    ),
)


@pytest.mark.parametrize("lead_ids", [False, True])
def test_a_pinned_model_compiles_for_postgres(lead_ids: bool) -> None:
    text = demo_contract() + "\nmodel: {version: m-0123456789ab, points: 30}\n"
    loaded = load_contract_text(text)
    spec = LogisticSpec("m-0123456789ab", FEATURES, -1.5, tuple(0.1 * i for i in range(11)), 30)
    compiled = compile_contract(loaded.contract, loaded.version, model=spec)
    for query in (compiled.snapshot_query(lead_ids), compiled.parts_query(lead_ids)):
        sql = query.sql(dialect="postgres", unsupported_level=ErrorLevel.RAISE)
        assert "_ll_model" in sql and "EXP(" in sql.upper()


def test_feature_queries_compile_for_postgres() -> None:
    loaded = load_contract_text(demo_contract())
    plan = compile_contract(loaded.contract, loaded.version).plan()
    body = "SELECT * FROM _t_features"
    query = Plan((*plan.ctes, *feature_ctes(list(FEATURES), "_t")), body, "").query(body)
    sql = query.sql(dialect="postgres", unsupported_level=ErrorLevel.RAISE)
    assert "FILTER(WHERE" in sql.replace(" (", "(").upper()
