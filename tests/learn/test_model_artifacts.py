"""A learned model is a versioned artifact a contract pins; it compiles to the scoring SQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from leadline.app import Leadline
from leadline.contract import LoadedContract, load_contract, load_contract_text
from leadline.contract.compiler import compile_contract
from leadline.errors import CompileError, ContractErrors
from leadline.learn import artifacts
from leadline.learn.models import LogisticModel
from leadline.learn.run import LearnOptions, learn
from leadline.learn.suggest import SuggestOptions, suggest
from leadline.scoring.model import feature_ctes
from leadline.scoring.plan import Plan
from tests.cli.runner import run
from tests.learn import world

STATED = datetime(2024, 1, 1)  # the X Education profile's facts time
LATER = datetime(2024, 1, 2)


@pytest.fixture(scope="module")
def trained(
    x_education_built: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str, str]:
    """A workspace with two stored models (different training splits)."""
    ws = world.copy_workspace(x_education_built, tmp_path_factory.mktemp("models"))
    with Leadline.open(ws) as ll:
        first = learn(ll, LearnOptions(seed=7))
        second = learn(ll, LearnOptions(seed=7, test_share=0.5))
    assert first.saved and second.saved
    assert first.model is not None and second.model is not None
    return ws, first.model.version, second.model.version


def _pinned(ll: Leadline, version: str, points: float = 40.0) -> LoadedContract:
    text = artifacts.pinned_text(ll.loaded.text, version, points)
    return load_contract_text(text, filename="pinned.yaml")


def _snapshot(ll: Leadline, loaded: LoadedContract) -> dict[str, tuple[float, float, float, float]]:
    compiled = ll.compile(loaded)
    rows = ll.engine.fetch_dicts(compiled.snapshot_query(), {"as_of": LATER})
    return {r["lead_id"]: (r["score"], r["engagement"], r["intent"], r["fit_points"]) for r in rows}


def test_the_model_in_sql_is_the_model_in_python(trained: tuple[Path, str, str]) -> None:
    ws, v1, _ = trained
    with Leadline.open(ws) as ll:
        artifact = artifacts.get(ll.engine, v1)
        compiled = ll.compile(_pinned(ll, v1))
        plan = compiled.plan()
        sql = ll.engine.fetch_arrow(plan.cte_query("_ll_model"), {"as_of": LATER})
        feats = Plan(
            (*plan.ctes[:2], *feature_ctes(list(artifact.features), "_t")),
            "SELECT * FROM _t_features ORDER BY lead_id",
            "",
        )
        table = ll.engine.fetch_arrow(feats.query(feats.snapshot_body), {"as_of": LATER})
    X = np.column_stack([table.column(f"f_{i}").to_numpy() for i in range(len(artifact.features))])
    python = LogisticModel(artifact.intercept, np.array(artifact.coefficients)).predict(X)
    leads, probabilities = sql.column("lead_id").to_pylist(), sql.column("p_convert").to_pylist()
    by_lead = dict(zip(leads, probabilities, strict=True))
    in_sql = np.array([by_lead[lead] for lead in table.column("lead_id").to_pylist()])
    assert len(in_sql) == 9240
    assert np.max(np.abs(in_sql - python)) < 1e-9
    assert 0.2 < python.mean() < 0.6  # a real model, not a constant


def test_the_score_gains_points_times_the_predicted_conversion(
    trained: tuple[Path, str, str],
) -> None:
    ws, v1, _ = trained
    with Leadline.open(ws) as ll:
        pinned = _pinned(ll, v1, points=40)
        plain = _snapshot(ll, ll.loaded)
        with_model = _snapshot(ll, pinned)
        compiled = ll.compile(pinned)
        parts = ll.engine.fetch_dicts(
            "SELECT lead_id, points FROM (" + ll.engine.render(compiled.parts_query()) + ") "
            "WHERE component = 'model'",
            {"as_of": LATER},
        )
    model_points = {p["lead_id"]: p["points"] for p in parts}
    assert len(model_points) == 9240
    for lead, (score, engagement, intent, fit) in with_model.items():
        assert score == pytest.approx(engagement + intent + model_points[lead], abs=1e-9)
        assert 0 <= model_points[lead] <= 40
        assert (engagement, intent, fit) == pytest.approx(plain[lead][1:])


def test_pin_then_roll_back_gives_back_the_same_scores(trained: tuple[Path, str, str]) -> None:
    ws, v1, v2 = trained
    with Leadline.open(ws) as ll:
        first, second, back = _pinned(ll, v1), _pinned(ll, v2), _pinned(ll, v1)
        scores = [_snapshot(ll, c) for c in (first, second, back)]
        versions = [c.version for c in (first, second, back)]
    assert v1 != v2
    assert versions[0] == versions[2] != versions[1]
    assert scores[0] == scores[2]
    assert sum(1 for lead in scores[0] if scores[0][lead][0] != scores[1][lead][0]) > 9000


def test_a_stored_model_never_changes(trained: tuple[Path, str, str]) -> None:
    ws, v1, _ = trained
    with Leadline.open(ws) as ll:
        stored = artifacts.get(ll.engine, v1)
        tampered = replace(stored, metrics={"tampered": True})
        assert artifacts.save(ll.engine, tampered) is False
        assert artifacts.get(ll.engine, v1).metrics == stored.metrics
        listed = artifacts.list_models(ll.engine)
    assert [m["version"] for m in listed].count(v1) == 1
    assert stored.version == artifacts.model_version(
        list(stored.features), stored.intercept, list(stored.coefficients)
    )
    assert stored.target == "converted" and stored.data_from == STATED
    assert stored.metrics["logistic regression"]["roc_auc"] > 0.85
    assert {f["reason"] for f in stored.training["guard"]} == {"post_contact"}


def test_pinning_an_unknown_model_is_a_located_contract_error(
    trained: tuple[Path, str, str],
) -> None:
    ws, _, _ = trained
    with Leadline.open(ws) as ll:
        unknown = _pinned(ll, "m-000000000000")
        with pytest.raises(ContractErrors) as err:
            ll.compile(unknown)
    problem = err.value.problems[0]
    assert problem.dotted_path == "model.version" and problem.line is not None
    assert "no stored model 'm-000000000000'" in problem.message


def test_the_compiler_refuses_a_pinned_contract_without_its_model(
    trained: tuple[Path, str, str],
) -> None:
    ws, v1, _ = trained
    with Leadline.open(ws) as ll:
        pinned = _pinned(ll, v1)
    with pytest.raises(CompileError, match="pins model"):
        compile_contract(pinned.contract, pinned.version)


def test_a_model_trained_on_post_contact_fields_cannot_be_pinned(x_education: Path) -> None:
    with Leadline.open(x_education) as ll:
        leaky = learn(ll, LearnOptions(allow=("tags",)))
        assert leaky.model is not None and leaky.saved
        with pytest.raises(ContractErrors, match="post-contact fields"):
            ll.compile(_pinned(ll, leaky.model.version))


def test_a_suggestion_can_pin_a_stored_model(trained: tuple[Path, str, str]) -> None:
    ws, v1, _ = trained
    out = ws / "suggested-with-model.yaml"
    with Leadline.open(ws) as ll:
        suggest(ll, SuggestOptions(out=out, model_version=v1, model_points=25))
    loaded = load_contract(out)
    assert loaded.contract.model is not None
    assert (loaded.contract.model.version, loaded.contract.model.points) == (v1, 25)
    assert run("contract", "check", out, workspace=ws).code == 0
