"""``backtest --sweep-threshold``: the volume curve, captured pipeline and the capacity limit."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from leadline.app import Leadline
from leadline.backtest.run import BacktestOptions, backtest
from leadline.backtest.sweep import default_thresholds, recommend

START, END = datetime(2026, 6, 1), datetime(2026, 8, 24)
THRESHOLDS = (10.0, 20.0, 30.0, 45.0, 60.0, 90.0, 150.0)


@pytest.fixture(scope="module")
def curves(demo_built: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from tests.learn import world

    ws = world.copy_workspace(demo_built, tmp_path_factory.mktemp("sweep"))
    with Leadline.open(ws) as ll:
        unbounded = backtest(
            ll,
            ll.loaded,
            ll.loaded,
            BacktestOptions(START, END, "week", sweep=True, thresholds=THRESHOLDS, capacity=100),
        )
        tight = backtest(
            ll,
            ll.loaded,
            ll.loaded,
            BacktestOptions(START, END, "week", sweep=True, thresholds=THRESHOLDS, capacity=0.1),
        )
        replayed = backtest(ll, ll.loaded, ll.loaded, BacktestOptions(START, END, "week"))
    return {"unbounded": unbounded, "tight": tight, "replayed": replayed}


def test_volume_never_rises_with_the_threshold(curves: dict[str, Any]) -> None:
    curve = curves["unbounded"]["curve"]
    assert [c["threshold"] for c in curve] == list(THRESHOLDS)
    volumes = [c["mqls"] for c in curve]
    caught = [c["opportunities_caught"] for c in curve]
    pipeline = [c["pipeline_caught"] for c in curve]
    assert volumes == sorted(volumes, reverse=True) and volumes[0] > volumes[-1] > 0
    assert caught == sorted(caught, reverse=True)
    assert pipeline == sorted(pipeline, reverse=True)
    for c in curve:
        assert c["opportunities_caught"] <= curves["unbounded"]["eventual_opportunities"]


def test_the_sweep_agrees_with_a_replay_at_the_contract_threshold(
    curves: dict[str, Any],
) -> None:
    """At the contract's own threshold the sweep's first-time MQLs are the replay's."""
    at_45 = next(c for c in curves["unbounded"]["curve"] if c["threshold"] == 45.0)
    metrics = {r["metric"]: r["current"] for r in curves["replayed"]["metrics"]}
    assert at_45["mqls"] == metrics["mql_leads"]
    assert at_45["opportunities_caught"] == metrics["opportunities_caught"]


def test_the_recommendation_takes_the_most_pipeline_the_team_can_follow_up(
    curves: dict[str, Any],
) -> None:
    unbounded, tight = curves["unbounded"], curves["tight"]
    # capacity to spare: the most pipeline wins, at the highest threshold that still gets it
    best = unbounded["recommendation"]["threshold"]
    spare = {c["threshold"]: c["pipeline_caught"] for c in unbounded["curve"]}
    assert spare[best] == max(spare.values())
    assert all(spare[t] < spare[best] for t in spare if t > best)
    chosen = tight["recommendation"]["threshold"]
    rows = {c["threshold"]: c for c in tight["curve"]}
    assert rows[chosen]["within_capacity"] is True
    richer = [t for t, c in rows.items() if c["pipeline_caught"] > rows[chosen]["pipeline_caught"]]
    assert richer and all(rows[t]["within_capacity"] is False for t in richer)
    assert tight["team"]["capacity_per_rep_per_day"] == 0.1


@pytest.mark.parametrize(
    ("curve", "threshold"),
    [
        # ties in pipeline go to the higher threshold (fewer MQLs for the same revenue)
        ([(10, 500.0, True), (20, 500.0, True), (30, 100.0, True)], 20),
        # over capacity is never recommended
        ([(10, 900.0, False), (20, 500.0, True), (30, 100.0, True)], 20),
        # nothing fits: the highest threshold tried, with the reason
        ([(10, 900.0, False), (20, 500.0, False)], 20),
        # capacity unknown counts as fitting
        ([(10, 900.0, None), (20, 500.0, None)], 10),
    ],
)
def test_recommend(curve: list[tuple[float, float, bool | None]], threshold: float) -> None:
    rows = [
        {"threshold": t, "pipeline_caught": p, "within_capacity": ok, "opportunities_caught": 1}
        for t, p, ok in curve
    ]
    assert recommend(rows)["threshold"] == threshold


def test_default_thresholds_bracket_the_contract() -> None:
    values = default_thresholds(40)
    assert values[0] == 10.0 and values[-1] == 100.0 and 40.0 in values
    assert values == sorted(set(values))
