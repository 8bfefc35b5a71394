"""Velocity: medians and 90th percentiles of the durations the story world spells out."""

from __future__ import annotations

import pytest

from .world import World, by


@pytest.mark.parametrize(
    ("measure", "n", "median", "p90"),
    [
        ("lead_to_mql", 3, 5.0, 5.0),  # L1 5 d, L2 5 d, L5 1 d
        ("in_mql", 3, 2.0, 3.6),  # 2 (L1), 4 (L2), 1 (L5)
        ("in_sal", 2, 5.0, 7.4),  # 8 (L1), 2 (L5)
        ("in_sql", 1, 1.0, 1.0),  # L5
        ("in_opportunity", 2, 33.5, 38.7),  # 40 (L1), 27 (L5); L3 is still open
        ("mql_to_disposition", 3, 2.0, 3.6),
        ("mql_to_opportunity", 2, 7.0, 9.4),  # 10 (L1), 4 (L5)
        ("opportunity_to_close", 2, 33.5, 38.7),
        ("opportunity_to_won", 1, 40.0, 40.0),
        ("opportunity_to_lost", 1, 27.0, 27.0),
        ("mql_to_first_touch", 0, None, None),  # nobody recorded a first touch
    ],
)
def test_durations(
    story: World, measure: str, n: int, median: float | None, p90: float | None
) -> None:
    row = by(story.report("velocity").table(), "measure")[measure]
    assert (row["n"], row["median_days"], row["p90_days"]) == (n, median, p90)


def test_first_touches_feed_speed_to_lead(story: World) -> None:
    story.engine.execute(
        "INSERT INTO first_touches VALUES ('L1', TIMESTAMP '2026-01-10 06:00', 'rita', "
        "TIMESTAMP '2026-01-10 06:00', NULL)"
    )
    result = story.report("velocity")
    row = by(result.table(), "measure")["mql_to_first_touch"]
    assert (row["n"], row["median_days"]) == (1, 0.25)
    assert result.summary["first_touches"] == 1


def test_deal_measures_use_the_deals_window(story: World) -> None:
    # deals created in February: only O3 (27 days) has closed
    row = by(story.report("velocity", start="2026-02-01", end="2026-03-01").table(), "measure")[
        "opportunity_to_close"
    ]
    assert (row["n"], row["median_days"]) == (1, 27.0)
