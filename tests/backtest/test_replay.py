"""Backtests replay history on a scratch copy; the contract in force reproduces it exactly."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from leadline.app import Leadline
from leadline.backtest import replay
from leadline.backtest.run import BacktestError, BacktestOptions, backtest
from leadline.backtest.scratch import scratch_copy
from leadline.contract import LoadedContract, load_contract_text
from leadline.lifecycle import auto
from tests.learn import world

START, END = datetime(2026, 6, 1), datetime(2026, 8, 24)
WEEK = timedelta(days=7)
KEY = "lead_id, from_stage, to_stage, changed_at, source"


def _history(ll: Leadline) -> list[tuple[object, ...]]:
    return ll.engine.fetch(f"SELECT {KEY} FROM stage_history ORDER BY {KEY}")


def _fingerprint(ll: Leadline) -> tuple[object, ...]:
    return tuple(
        ll.engine.fetch(
            "SELECT count(*), max(transition_id), "
            "sum(hash(lead_id || to_stage || CAST(changed_at AS VARCHAR))) FROM stage_history"
        )[0]
    )


def _candidate(ll: Leadline, min_score: float) -> LoadedContract:
    text = ll.loaded.text.replace("min_score: 45", f"min_score: {min_score:g}")
    assert text != ll.loaded.text
    return load_contract_text(text, filename=f"candidate-{min_score:g}.yaml")


@pytest.mark.parametrize(
    ("days", "visited"),
    [
        (0, [0]),
        (14, [0, 7, 14]),  # a whole number of steps: exactly Leadline.replay's moments
        (10, [0, 7, 10]),  # otherwise the end is visited as a last, shorter step
    ],
)
def test_the_schedule_visits_every_step_and_the_end(days: int, visited: list[int]) -> None:
    steps = auto.schedule(START, START + timedelta(days=days), WEEK)
    assert steps == [START + timedelta(days=d) for d in visited]


def test_leadline_replay_visits_the_end_of_a_window_that_is_not_whole_steps(
    demo_built: Path, tmp_path: Path
) -> None:
    with Leadline.open(world.copy_workspace(demo_built, tmp_path / "w")) as ll:
        assert ll.replay(START, START + timedelta(days=10), WEEK)["steps"] == 3  # 0, 7, 10


def test_backtesting_the_contract_in_force_reproduces_history(
    demo: Path, demo_built: Path, tmp_path: Path
) -> None:
    # the backtest replays a store as it was before this history was made...
    pristine = world.copy_workspace(demo_built, tmp_path / "pristine")
    with Leadline.open(pristine) as ll, scratch_copy(ll.engine, START, END) as scratch:
        replay.prepare(scratch)
        run = replay.ContractRun("current", ll.loaded.contract, ll.loaded.version, ll.compiled)
        replay.replay(scratch, run, auto.schedule(START, END, WEEK))
        replayed = scratch.fetch(f"SELECT {KEY} FROM bt_transitions ORDER BY {KEY}")
    # ...and the history the contract really made, step by step
    with Leadline.open(demo) as ll:
        moved = ll.replay(START, END, WEEK, crm_facts=True)
        real = _history(ll)
        before = _fingerprint(ll)
        result = backtest(ll, ll.loaded, ll.loaded, BacktestOptions(START, END, "week"))
        after = _fingerprint(ll)
    assert moved["lead_to_mql"] > 10 and moved["to_opportunity"] > 0
    # every move, lead by lead and time by time (MQLs, pipeline, won and lost)
    assert replayed == real
    assert {r[2] for r in real} >= {"mql", "opportunity", "won"}
    check = result["history_check"]
    assert check["real_mql_moves"] == check["replayed_mql_moves"] == check["identical"]
    assert check["identical"] == moved["lead_to_mql"]
    assert before == after  # the real stage history was never written
    same = {r["metric"]: (r["current"], r["candidate"]) for r in result["metrics"]}
    assert all(a == b for a, b in same.values())
    assert result["flips"] == {
        "gained": 0,
        "gained_to_pipeline": 0,
        "lost": 0,
        "lost_to_pipeline": 0,
    }


def test_a_lower_threshold_qualifies_more_leads_earlier_and_loses_none(demo: Path) -> None:
    with Leadline.open(demo) as ll:
        before = _fingerprint(ll)
        result = backtest(
            ll,
            _candidate(ll, 30),
            ll.loaded,
            BacktestOptions(START, END, "week", limit=5),
        )
        assert _fingerprint(ll) == before
    m = {r["metric"]: r for r in result["metrics"]}
    assert m["mql_leads"]["candidate"] > m["mql_leads"]["current"]
    assert m["mql_leads"]["delta"] == result["flips"]["gained"] > 0
    assert result["flips"]["lost"] == 0
    assert m["opportunities_caught"]["candidate"] >= m["opportunities_caught"]["current"]
    assert m["recall_opportunities"]["candidate"] >= m["recall_opportunities"]["current"]
    assert m["eventual_opportunities"]["candidate"] == m["eventual_opportunities"]["current"] > 0
    assert 0 < m["precision_pipeline"]["current"] <= 1
    assert result["timing"]["candidate_later"] == 0
    assert result["timing"]["both_caught"] == m["opportunities_caught"]["current"]
    assert len(result["flipped_leads"]) == 5
    assert {f["flip"] for f in result["flipped_leads"]} == {"gained"}
    team = result["team"]
    assert team["reps"] == 12 and team["capacity_per_rep_per_day"] > 0
    assert m["mqls_per_rep_per_day"]["current"] == pytest.approx(
        m["mql_moves"]["current"] / (END - START).days / 12, abs=1e-3
    )


def test_a_window_that_ends_before_it_starts_is_refused(demo: Path) -> None:
    with Leadline.open(demo) as ll, pytest.raises(BacktestError, match="must be after"):
        backtest(ll, ll.loaded, ll.loaded, BacktestOptions(END, START))


def test_a_warm_up_keeps_the_catch_up_out_of_the_window(demo: Path) -> None:
    """This store has no history: a cold replay qualifies the whole backlog at once."""
    end = START + 4 * WEEK
    with Leadline.open(demo) as ll:
        cold = backtest(ll, ll.loaded, ll.loaded, BacktestOptions(START, end, "week"))
        warm = backtest(
            ll, ll.loaded, ll.loaded, BacktestOptions(START, end, "week", warmup_days=56)
        )
    c = {r["metric"]: r["current"] for r in cold["metrics"]}
    w = {r["metric"]: r["current"] for r in warm["metrics"]}
    assert warm["window"]["replayed_from"] == START - 8 * WEEK
    assert warm["window"]["steps"] == cold["window"]["steps"] + 8
    assert w["peak_step_mqls"] < c["peak_step_mqls"] and w["mql_leads"] < c["mql_leads"]
    assert w["eventual_opportunities"] == c["eventual_opportunities"]
    assert w["opportunities_caught"] >= c["opportunities_caught"] - 1
