"""The channels report: revenue first, cost per stage, ROI; cost only where it can be split."""

from __future__ import annotations

from .world import World, by


def test_sorted_by_revenue_then_pipeline_not_by_volume(story: World) -> None:
    rows = story.report("channels").table()
    assert [r["channel"] for r in rows] == ["paid", "organic", "events"]


def test_per_channel_figures(story: World) -> None:
    paid = by(story.report("channels").table(), "channel")["paid"]
    assert paid["leads"] == 2 and paid["mqls"] == 2
    assert (paid["sal_rate"], paid["sql_rate"]) == (0.5, 0.5)  # L1 went on, L2 was rejected
    assert (paid["opportunities"], paid["pipeline"], paid["won_deals"]) == (1, 1000, 1)
    assert paid["won_revenue"] == 1000
    assert paid["cost"] == 3100
    assert paid["roi"] == round((1000 - 3100) / 3100, 4)
    assert (paid["cost_per_mql"], paid["cost_per_sql"]) == (1550, 3100)
    assert (paid["cost_per_opportunity"], paid["cost_per_won"]) == (3100, 3100)
    assert (paid["converted"], paid["conversion_rate"]) == (1, 0.5)


def test_cost_per_stage_is_empty_without_the_stage(story: World) -> None:
    events = by(story.report("channels").table(), "channel")["events"]
    assert events["cost"] == 600 and events["cost_per_won"] is None and events["roi"] == -1.0
    organic = by(story.report("channels").table(), "channel")["organic"]
    assert organic["cost"] is None and organic["cost_per_mql"] is None


def test_cost_is_pro_rated_to_the_window_and_shown_without_leads(story: World) -> None:
    # Jan 16–31 is 16 of January's 31 days; no lead was created then, the money was still spent
    rows = story.report("channels", start="2026-01-16", end="2026-02-01").table()
    assert rows == [
        {
            "channel": "paid",
            "won_revenue": 0,
            "pipeline": 0,
            "opportunities": 0,
            "won_deals": 0,
            "cost": 1600.0,
            "roi": -1.0,
            "cost_per_mql": None,
            "cost_per_sql": None,
            "cost_per_opportunity": None,
            "cost_per_won": None,
            "leads": 0,
            "mqls": 0,
            "sal_rate": None,
            "sql_rate": None,
            "converted": 0,
            "conversion_rate": None,
        }
    ]


def test_cost_stays_empty_when_it_cannot_be_split(story: World) -> None:
    for kw in ({"source": "Ads"}, {"by": "source"}, {"rep": "R1"}):
        result = story.report("channels", **kw)
        assert all(r["cost"] is None for r in result.table()), kw
        assert result.summary["cost"] is None


def test_grouping_by_campaign_source_or_attribute(story: World) -> None:
    assert [r["campaign"] for r in story.report("channels", by="campaign").table()] == [
        "P",
        "(none)",
        "V",
    ]
    sources = by(story.report("channels", by="source").table(), "source")
    assert sources["Ads"]["leads"] == 2 and sources["Web form"]["leads"] == 2
    attrs = story.report("channels", by="attributes.region").table()
    assert [(r["region"], r["leads"]) for r in attrs] == [("(none)", 5)]


def test_rep_and_product_segments(story: World) -> None:
    # R1 owns O1 (L1) and O3 (L5); only Growth deal O2 belongs to L3
    r1 = story.report("channels", rep="rita@vendor.example").summary
    assert (r1["leads"], r1["won_revenue"], r1["pipeline"]) == (2, 1000, 1300)
    growth = story.report("channels", product="Growth").summary
    assert (growth["leads"], growth["pipeline"]) == (1, 500)
