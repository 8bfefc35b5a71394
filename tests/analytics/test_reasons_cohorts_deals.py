"""Reasons, cohorts and deals on the story world."""

from __future__ import annotations

from .world import World, by


def test_reasons_by_source_and_month(story: World) -> None:
    result = story.report("reasons")
    assert result.table("by_source") == [
        {
            "kind": "rejected",
            "reason": "bad_fit",
            "source": "Ads",
            "events": 1,
            "share_of_kind": 1.0,
        },
        {
            "kind": "lost",
            "reason": "price",
            "source": "Badge scan",
            "events": 1,
            "share_of_kind": 1.0,
        },
    ]
    assert [(r["month"], r["kind"], r["reason"]) for r in result.table("by_month")] == [
        ("2026-01", "rejected", "bad_fit"),
        ("2026-03", "lost", "price"),
    ]
    assert (result.summary["rejected"], result.summary["recycled"], result.summary["lost"]) == (
        1,
        0,
        1,
    )
    assert result.summary["top_lost_reason"] == "price"


def test_reasons_window_is_the_decision_date(story: World) -> None:
    march = story.report("reasons", start="2026-03-01", end="2026-04-01").summary
    assert (march["rejected"], march["lost"]) == (0, 1)


def test_lost_deals_without_a_lead_still_count(story: World) -> None:
    story.opp("O9", None, 50, created="2026-02-01", stage="lost", closed="2026-02-20")
    rows = story.report("reasons").table("by_source")
    assert {
        "kind": "lost",
        "reason": "(not recorded)",
        "source": "(no lead)",
        "events": 1,
        "share_of_kind": 0.5,
    } in rows


def test_cohorts_by_first_mql_month(story: World) -> None:
    rows = by(story.report("cohorts").table(), "cohort")
    jan, feb = rows["2026-01"], rows["2026-02"]
    # January: L1 (won) and L2 (rejected); February: L5 (lost); L3 never was an MQL
    assert (jan["mqls"], jan["sal"], jan["opportunity"], jan["won"]) == (2, 1, 1, 1)
    assert (jan["won_share"], jan["rejected_or_recycled"]) == (0.5, 1)
    assert (jan["pipeline"], jan["won_revenue"]) == (1000, 1000)
    assert (jan["opportunity_within_90d"], jan["won_within_90d"]) == (1, 1)
    assert (feb["mqls"], feb["sql"], feb["won"], feb["pipeline"]) == (1, 1, 0, 300)
    assert (jan["months_observed"], feb["months_observed"]) == (5, 4)
    assert set(rows) == {"2026-01", "2026-02"}


def test_won_within_horizon_compares_cohorts_at_the_same_age(story: World) -> None:
    # as of Feb 15, L1 had not yet won
    jan = by(story.report("cohorts", as_of="2026-02-15").table(), "cohort")["2026-01"]
    assert (jan["won"], jan["won_within_365d"], jan["opportunity_within_90d"]) == (0, 0, 1)


def test_deals_by_owner_and_product(story: World) -> None:
    owners = by(story.report("deals", by="owner").table(), "owner")
    assert (owners["R1"]["won"], owners["R1"]["lost"], owners["R1"]["win_rate"]) == (1, 1, 0.5)
    assert owners["R1"]["won_revenue"] == 1000 and owners["R1"]["pipeline"] == 1300
    assert owners["R1"]["median_days_to_close"] == 33.5
    assert (owners["R2"]["open"], owners["R2"]["win_rate"]) == (1, None)
    products = by(story.report("deals", by="product").table(), "product")
    assert products["Core"]["opportunities"] == 2 and products["Growth"]["open_pipeline"] == 500
    summary = story.report("deals").summary
    assert (summary["won"], summary["lost"], summary["open"], summary["win_rate"]) == (1, 1, 1, 0.5)


def test_deals_without_a_lead_count_until_a_lead_filter_is_set(story: World) -> None:
    story.opp("O9", None, 70, created="2026-02-01", stage="won", closed="2026-02-10", owner="R2")
    assert story.report("deals").summary["won_revenue"] == 1070
    assert story.report("deals", channel="paid").summary["won_revenue"] == 1000


def test_deals_by_channel_read_each_deals_own_lead(story: World) -> None:
    story.opp("O9", None, 70, created="2026-02-01", stage="won", closed="2026-02-10")
    story.opp("O8", "L6", 40, created="2026-02-03")  # L6 is merged into L4 (organic)
    channels = by(story.report("deals", by="channel").table(), "channel")
    assert channels["paid"]["won_revenue"] == 1000
    assert (channels["organic"]["opportunities"], channels["organic"]["pipeline"]) == (2, 540)
    assert (channels["events"]["lost"], channels["(no lead)"]["won_revenue"]) == (1, 70)
    # the merged duplicate's deal counts for its survivor's lead filters
    assert story.report("deals", channel="organic").summary["opportunities"] == 2


def test_reps_join_verdicts_ownership_and_deals(story: World) -> None:
    reps = by(story.report("reps").table(), "rep")
    rita, sam = reps["R1"], reps["R2"]
    assert (rita["name"], rita["accepted"], rita["rejected"], rita["acceptance_rate"]) == (
        "Rita One",
        2,
        0,
        1.0,
    )
    assert (sam["rejected"], sam["acceptance_rate"]) == (1, 0.0)
    # R1 owns L1 and L5 through their deals, R2 owns L2 through its verdict
    assert (rita["mqls_owned"], rita["mql_to_pipeline_rate"]) == (2, 1.0)
    assert (sam["mqls_owned"], sam["mql_to_pipeline_rate"]) == (1, 0.0)
    assert (rita["won_revenue"], rita["win_rate"], sam["pipeline"]) == (1000, 0.5, 500)
    # hours from MQL to verdict: L1 2 days, L5 1 day
    assert rita["median_hours_to_verdict"] == 36.0
    only = story.report("reps", rep="Rita One").table()
    assert [r["rep"] for r in only] == ["R1"]
