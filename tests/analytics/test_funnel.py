"""The funnel report on the story world (see conftest.py for who did what when)."""

from __future__ import annotations

import pytest

from .world import World


def reached(world: World, **kw: str) -> list[int]:
    return [row["reached"] for row in world.report("funnel", **kw).table("stages")]


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        # L1 won; L2 rejected MQL; L3 opportunity without MQL; L4 nothing; L5 lost via SQL
        ({}, [5, 4, 3, 3, 3, 1]),
        # as of Jan 31 only L1 (in opportunity since Jan 20) and L2 exist
        ({"as_of": "2026-01-31"}, [2, 2, 1, 1, 1, 0]),
        # leads created in February: L3, L4, L5
        ({"start": "2026-02-01", "end": "2026-03-01"}, [3, 2, 2, 2, 2, 0]),
        # a segment narrows the leads
        ({"channel": "paid"}, [2, 2, 1, 1, 1, 1]),
    ],
)
def test_reached_counts_every_lead_at_its_furthest_stage(
    story: World, kw: dict[str, str], expected: list[int]
) -> None:
    assert reached(story, **kw) == expected


def test_leaks_are_shares_of_leads_and_of_mqls(story: World) -> None:
    summary = story.report("funnel").summary
    # L3 (straight to pipeline) and L4 never were MQLs; L2 is the MQL that never became pipeline
    assert summary["leads"] == 5
    assert (summary["never_mql"], summary["never_mql_share"]) == (2, 0.4)
    assert summary["mqls"] == 3
    assert (summary["mql_never_pipeline"], summary["mql_never_pipeline_share"]) == (1, 0.3333)


def test_revenue_and_pipeline_lead_the_summary(story: World) -> None:
    summary = story.report("funnel").summary
    assert list(summary)[:2] == ["won_revenue", "pipeline"]
    assert (summary["won_revenue"], summary["pipeline"]) == (1000, 1800)
    assert (summary["won_deals"], summary["opportunities"]) == (1, 3)
    # before O1 closed, nothing was won yet
    early = story.report("funnel", as_of="2026-02-03").summary  # O3 opened on Feb 6
    assert (early["won_revenue"], early["pipeline"]) == (0, 1500)


def test_conversion_is_from_the_previous_stage(story: World) -> None:
    rows = story.report("funnel").table("stages")
    assert [r["conversion_from_previous"] for r in rows] == [None, 0.8, 0.75, 1.0, 1.0, 0.3333]
    assert [r["share_of_leads"] for r in rows] == [1.0, 0.8, 0.6, 0.6, 0.6, 0.2]
