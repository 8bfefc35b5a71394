"""Attribution models on hand-checked touch paths; every model sums to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from .world import World, by

D = Decimal


@pytest.mark.parametrize(
    ("model", "credits"),
    [
        # O1 (1000) had touches A, B, C before it opened (D came after: no credit)
        ("first", {"A": D("1000"), "B": D("0"), "C": D("0")}),
        ("last", {"A": D("0"), "B": D("0"), "C": D("1000")}),
        # thirds telescope to whole cents: 333.33 + 333.34 + 333.33
        ("linear", {"A": D("333.33"), "B": D("333.34"), "C": D("333.33")}),
        ("u_shaped", {"A": D("400"), "B": D("200"), "C": D("400")}),
    ],
)
def test_models_share_a_deal_among_its_touches(
    story: World, model: str, credits: dict[str, Decimal]
) -> None:
    rows = by(story.report("attribution", model=model).table(), "campaign")
    for campaign, credit in credits.items():
        assert rows[campaign][f"{model}_pipeline"] == credit, campaign
        assert rows[campaign][f"{model}_revenue"] == credit, campaign  # O1 was won
    # O3 (300, lost) had one touch, E: all of it, in every model, and no revenue
    assert (rows["E"][f"{model}_pipeline"], rows["E"][f"{model}_revenue"]) == (D("300"), D("0"))
    assert "D" not in rows


def test_u_shaped_with_two_touches_is_half_and_half(engine: object) -> None:
    from leadline.store.duckdb import DuckDBEngine

    assert isinstance(engine, DuckDBEngine)
    w = World(engine)
    w.campaign("A", "paid").campaign("B", "email")
    w.lead("L", created="2026-01-01").touch("L", "A", "2026-01-02").touch("L", "B", "2026-01-03")
    w.opp("O", "L", 99.99, created="2026-01-04")
    rows = by(w.report("attribution", model="u_shaped").table(), "campaign")
    assert (rows["A"]["u_shaped_pipeline"], rows["B"]["u_shaped_pipeline"]) == (
        D("50.00"),
        D("49.99"),
    )


def test_summary_splits_attributed_from_unattributed(story: World) -> None:
    summary = story.report("attribution").summary
    # O2 (500, L3) had no touch at all
    assert summary["attributed_pipeline"] == D("1300")
    assert summary["attributed_revenue"] == D("1000")
    assert summary["unattributed_pipeline"] == D("500")
    assert summary["unattributed_revenue"] == D("0")
    assert (summary["attributed_opportunities"], summary["opportunities"]) == (2, 3)


def test_every_model_sums_exactly_to_the_attributed_totals(story: World) -> None:
    result = story.report("attribution")
    for model in ("first", "last", "linear", "u_shaped"):
        rows = result.table()
        assert sum(r[f"{model}_pipeline"] for r in rows) == result.summary["attributed_pipeline"]
        assert sum(r[f"{model}_revenue"] for r in rows) == result.summary["attributed_revenue"]


def test_credit_channels_instead_of_campaigns(story: World) -> None:
    rows = by(story.report("attribution", by="channel", model="linear").table(), "channel")
    # A and C are paid campaigns, B organic, E events
    assert rows["paid"]["linear_pipeline"] == D("666.66")
    assert rows["organic"]["linear_pipeline"] == D("333.34")
    assert rows["events"]["linear_pipeline"] == D("300")
