"""Content, scoring and SLA reports, each on its own small world."""

from __future__ import annotations

import pytest
from sklearn.metrics import roc_auc_score

from leadline.contract.schema import Contract
from leadline.store.duckdb import DuckDBEngine

from .world import World, by


@pytest.fixture
def readers(engine: DuckDBEngine) -> World:
    """A and D converted (A: a deal; D: flagged by its source system); B, C, E did not."""
    w = World(engine)
    w.content("C1", gated=True).content("C2", gated=False)
    for lead in "ABCE":
        w.lead(lead)
    w.lead("D", converted=True)
    w.moves("A", ("opportunity", "2026-02-01"))
    w.activity("A", "content_download", "2026-01-10", content="C1")
    w.activity("A", "page_view", "2026-01-11", content="C2")
    w.activity("B", "content_download", "2026-01-12", content="C1")
    w.activity("C", "page_view", "2026-01-13", content="C2")
    w.activity("D", "page_view", "2026-01-14", content="C2")
    w.activity("D", "page_view", "2026-01-15", content="C2")
    return w


def test_content_converted_vs_not_with_lift(readers: World) -> None:
    result = readers.report("content")
    assert result.summary["base_conversion_rate"] == 0.4  # 2 of 5
    assets = by(result.table("assets"), "content_id")
    c1, c2 = assets["C1"], assets["C2"]
    assert (c1["consumers"], c1["converted"], c1["not_converted"]) == (2, 1, 1)
    assert (c1["conversion_rate"], c1["lift"]) == (0.5, 1.25)
    assert (c2["consumers"], c2["converted"], c2["conversion_rate"], c2["lift"]) == (
        3,
        2,
        0.6667,
        1.67,
    )  # D read it twice and counts once


def test_gated_vs_ungated(readers: World) -> None:
    gates = by(readers.report("content").table("gating"), "gated")
    assert (gates[True]["assets"], gates[True]["consumers"], gates[True]["converted"]) == (1, 2, 1)
    assert (gates[False]["consumers"], gates[False]["conversion_rate"]) == (3, 0.6667)


def test_content_by_won_outcome(readers: World) -> None:
    result = readers.report("content", outcome="won")
    assert result.summary["converted"] == 0
    assert all(a["converted"] == 0 for a in result.table("assets"))


@pytest.fixture
def scored(engine: DuckDBEngine) -> tuple[World, list[float], list[int]]:
    """20 scored leads; higher scores convert more often, but not always."""
    w = World(engine)
    scores = [float(s) for s in range(1, 21)]
    converted = {4, 11, 15, 17, 18, 19, 20}
    rows = []
    for s in scores:
        lead = f"S{int(s):02d}"
        w.lead(lead)
        if s in converted:
            w.moves(lead, ("opportunity", "2026-03-01"))
        rows.append((lead, s, "A" if s > 15 else "B" if s > 10 else "C"))
    w.score_run(1, "2026-02-01", *rows)
    # S20 was an MQL before it was won; S19 was won without ever being an MQL
    w.moves("S20", ("won", "2026-04-01"))
    w.engine.execute("DELETE FROM stage_history WHERE lead_id = 'S20'")
    w._stage.pop("S20")
    w.moves("S20", ("mql", "2026-02-10"), ("opportunity", "2026-03-01"), ("won", "2026-04-01"))
    w.moves("S19", ("won", "2026-04-01"))
    w.opp("W20", "S20", 900, created="2026-03-01", stage="won", closed="2026-04-01")
    w.opp("W19", "S19", 100, created="2026-03-01", stage="won", closed="2026-04-01")
    labels = [1 if s in converted else 0 for s in scores]
    return w, scores, labels


def test_scoring_auc_matches_an_independent_computation(
    scored: tuple[World, list[float], list[int]],
) -> None:
    world, scores, labels = scored
    summary = world.report("scoring").summary
    assert summary["auc"] == round(roc_auc_score(labels, scores), 4)


def test_scoring_deciles_lift_and_capture(scored: tuple[World, list[float], list[int]]) -> None:
    world, _, _ = scored
    deciles = world.report("scoring").table("deciles")
    assert [d["leads"] for d in deciles] == [2] * 10
    # decile 1 = scores 20, 19 (both converted); base rate 7/20
    top = deciles[0]
    assert (top["converted"], top["conversion_rate"], top["lift"]) == (2, 1.0, round(1 / 0.35, 2))
    assert [d["converted"] for d in deciles] == [2, 2, 1, 0, 1, 0, 0, 0, 1, 0]
    assert deciles[-1]["cumulative_capture"] == 1.0
    assert world.report("scoring").summary["monotonic"] is False  # decile 5 beats decile 4


def test_won_deals_that_passed_mql_and_grades(
    scored: tuple[World, list[float], list[int]],
) -> None:
    world, _, _ = scored
    result = world.report("scoring")
    assert (result.summary["won_leads"], result.summary["won_via_mql"]) == (2, 1)
    assert result.summary["won_via_mql_share"] == 0.5
    assert result.summary["won_revenue_via_mql_share"] == 0.9
    grades = by(result.table("grades"), "grade")
    assert (grades["A"]["leads"], grades["A"]["converted"]) == (5, 4)  # 16 did not
    assert (grades["B"]["leads"], grades["B"]["converted"]) == (5, 2)
    assert (grades["C"]["leads"], grades["C"]["converted"], grades["C"]["lift"]) == (
        10,
        1,
        round(0.1 / 0.35, 2),
    )


def test_scoring_run_option_is_checked(scored: tuple[World, list[float], list[int]]) -> None:
    from leadline.analytics.query import ReportInputError

    world, _, _ = scored
    with pytest.raises(ReportInputError, match="run"):
        world.report("scoring", run="yesterday")
    assert world.report("scoring", run="1").summary["run_id"] == 1


SLA_CONTRACT = {
    "contract": "sla-test",
    "fit": {"grades": {"A": 50, "B": 30, "C": 10}},
    "stages": {"mql": {"min_score": 10}},
    "sla": {"mql_commitment": {"per_month": 2, "min_sql_rate": 0.5}},
}


@pytest.fixture
def clocks(engine: DuckDBEngine) -> World:
    w = World(engine, Contract.model_validate(SLA_CONTRACT))
    w.rep("R1", "Rita One", "rita@vendor.example").rep("R2", "Sam Two", "sam@vendor.example")
    for lead in ("M1", "M2", "M3", "M4"):
        w.lead(lead)
    w.moves("M1", ("mql", "2026-01-10 09:00"), ("sal", "2026-01-10 12:00"), ("sql", "2026-01-20"))
    w.moves("M2", ("mql", "2026-01-11 09:00"), ("rejected", "2026-01-11 12:00"))
    w.moves("M3", ("mql", "2026-01-12 09:00"))
    w.moves("M4", ("mql", "2026-02-01 09:00"), ("sal", "2026-02-02"), ("sql", "2026-02-03"))
    w.disposition("M1", "accept", "2026-01-10 12:00", actor="rita@vendor.example")
    w.disposition("M2", "reject", "2026-01-11 12:00", reason="bad_fit", actor="rita@vendor.example")
    # speed to lead: 3 minutes (in time), 60 minutes (late), never touched (late)
    w.clock(
        1,
        "M1",
        rep="R1",
        priority="A1",
        started="2026-01-10 09:00",
        due="2026-01-10 09:05",
        stopped="2026-01-10 09:03",
    )
    w.clock(
        2,
        "M2",
        rep="R1",
        priority="A1",
        started="2026-01-11 09:00",
        due="2026-01-11 09:05",
        stopped="2026-01-11 10:00",
    )
    w.clock(3, "M3", rep="R2", priority="B2", started="2026-01-12 09:00", due="2026-01-12 10:00")
    w.clock(
        4,
        "M1",
        kind="accept",
        rep="R1",
        started="2026-01-10 09:00",
        due="2026-01-11 09:00",
        stopped="2026-01-10 12:00",
    )
    return w


def test_sla_speed_to_lead_by_priority_and_distribution(clocks: World) -> None:
    result = clocks.report("sla")
    prio = by(result.table("speed_by_priority"), "priority")
    assert (prio["A1"]["mqls"], prio["A1"]["touched"], prio["A1"]["within_sla"]) == (2, 2, 1)
    assert (prio["A1"]["median_minutes"], prio["A1"]["p90_minutes"]) == (31.5, 54.3)
    assert (prio["B2"]["touched"], prio["B2"]["breaches"]) == (0, 1)
    buckets = {r["bucket"]: r["mqls"] for r in result.table("speed_distribution")}
    assert (buckets["< 5 min"], buckets["30 min–2 h"], buckets["not touched"]) == (1, 1, 1)
    assert sum(buckets.values()) == result.summary["speed_clocks"] == 3


def test_sla_breaches_and_reps(clocks: World) -> None:
    result = clocks.report("sla")
    kinds = by(result.table("breaches"), "kind")
    assert (kinds["speed_to_lead"]["breaches"], kinds["speed_to_lead"]["open_breaches"]) == (2, 1)
    assert kinds["accept"]["breaches"] == 0
    reps = by(result.table("by_rep"), "rep")
    assert (reps["R1"]["mqls"], reps["R1"]["within_sla_rate"], reps["R1"]["speed_breaches"]) == (
        2,
        0.5,
        1,
    )
    assert (reps["R1"]["accept_clocks"], reps["R2"]["speed_breaches"]) == (1, 1)
    latency = by(result.table("accept_latency"), "action")
    assert (latency["accept"]["median_hours"], latency["reject"]["median_hours"]) == (3.0, 3.0)


def test_sla_marketing_commitment_volume_and_quality(clocks: World) -> None:
    result = clocks.report("sla")
    months = by(result.table("marketing"), "month")
    jan, feb = months["2026-01"], months["2026-02"]
    assert (jan["mqls"], jan["dispositioned"], jan["accepted"], jan["acceptance_rate"]) == (
        3,
        2,
        1,
        0.5,
    )
    assert (jan["sql_rate"], jan["volume_met"], jan["quality_met"]) == (0.3333, True, False)
    assert (feb["mqls"], feb["delivery_rate"], feb["volume_met"], feb["quality_met"]) == (
        1,
        0.5,
        False,
        True,
    )
    s = result.summary
    assert (s["commitment_per_month"], s["months_volume_met"], s["months_quality_met"]) == (2, 1, 1)
    assert (s["within_sla_rate"], s["speed_breaches"], s["median_accept_hours"]) == (0.3333, 2, 3.0)


def test_sla_without_a_commitment_says_so(clocks: World) -> None:
    clocks.contract = None
    summary = clocks.report("sla").summary
    assert summary["commitment_per_month"] is None and summary["months_volume_met"] == 0


def test_reps_follow_up_speed_from_clocks(clocks: World) -> None:
    reps = by(clocks.report("reps").table(), "rep")
    assert (reps["R1"]["speed_clocks"], reps["R1"]["median_minutes_to_touch"]) == (2, 31.5)
    assert (reps["R1"]["within_sla_rate"], reps["R1"]["breaches"]) == (0.5, 1)
    assert (reps["R2"]["breaches"], reps["R2"]["median_minutes_to_touch"]) == (1, None)
