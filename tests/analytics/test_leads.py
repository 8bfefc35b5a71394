"""Lead views: the prioritised list (filters, sort, pages) and one lead's whole story."""

from __future__ import annotations

import pytest

from leadline.analytics.leads import lead_detail, lead_list, score_parts
from leadline.analytics.query import ReportInputError, ReportQuery, Segment
from leadline.errors import NotFound

from .world import World, t

Q = ReportQuery(as_of=t("2026-06-01"))


@pytest.fixture
def scored_story(story: World) -> World:
    # L1 best, then L5, L2, L3; L4 was never scored
    story.score_run(
        1, "2026-05-01", ("L1", 90, "A"), ("L5", 70, "B"), ("L2", 40, "C"), ("L3", 40, "A")
    )
    story.engine.execute(
        "UPDATE score_snapshots SET priority_rank = CAST(100 - score AS INTEGER), "
        "priority = 'A' || CAST(100 - score AS INTEGER)"
    )
    story.engine.execute(
        "INSERT INTO score_parts VALUES (1, 'L1', 'fit', 'core', NULL, 25, 25, false, 1, 25, 'x'),"
        " (1, 'L1', 'engagement', 'pricing page', 3, 30, 20, true, 0.9, 18, 'capped')"
    )
    return story


def ids(listing: dict[str, object]) -> list[str]:
    return [row["lead_id"] for row in listing["leads"]]  # type: ignore[index, attr-defined]


def test_best_priority_first_and_unscored_last(scored_story: World) -> None:
    listing = lead_list(scored_story.engine, Q)
    # score ties (L2, L3) fall back to the lead id; L4 has no score at all
    assert ids(listing) == ["L1", "L5", "L2", "L3", "L4"]
    assert listing["total"] == 5
    first = listing["leads"][0]  # type: ignore[index]
    assert (first["stage"], first["owner"], first["owner_name"]) == ("won", "R1", "Rita One")


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"limit": 2}, ["L1", "L5"]),
        ({"limit": 2, "offset": 2}, ["L2", "L3"]),
        ({"limit": 2, "offset": 4}, ["L4"]),  # past the scored leads
        ({"stage": "opportunity"}, ["L3"]),
        ({"stage": "lead"}, ["L4"]),
        ({"search": "company l5"}, ["L5"]),
        ({"sort": "newest"}, ["L4", "L3", "L5", "L2", "L1"]),
    ],
)
def test_filters_sort_and_pages(
    scored_story: World, kw: dict[str, object], expected: list[str]
) -> None:
    assert ids(lead_list(scored_story.engine, Q, **kw)) == expected  # type: ignore[arg-type]


def test_segments_and_windows_apply(scored_story: World) -> None:
    paid = ReportQuery(as_of=Q.as_of, segment=Segment(channel="paid"))
    assert ids(lead_list(scored_story.engine, paid)) == ["L1", "L2"]
    feb = ReportQuery(start=t("2026-02-01"), end=t("2026-03-01"), as_of=Q.as_of)
    listing = lead_list(scored_story.engine, feb)
    assert (ids(listing), listing["total"]) == (["L5", "L3", "L4"], 3)


def test_bad_list_input_is_refused(scored_story: World) -> None:
    with pytest.raises(ReportInputError) as err:
        lead_list(scored_story.engine, Q, sort="mood", stage="limbo", limit=0)
    assert [p.field for p in err.value.problems] == ["sort", "stage", "limit"]


def test_score_parts_biggest_first(scored_story: World) -> None:
    parts = score_parts(scored_story.engine, ["L1", "L4"], Q.params())
    assert [p["rule"] for p in parts["L1"]] == ["core", "pricing page"]
    assert parts["L4"] == []


def test_one_leads_whole_story(scored_story: World) -> None:
    scored_story.activity("L1", "page_view", "2026-01-08")
    detail = lead_detail(scored_story.engine, "L1", Q)
    assert detail["stage"] == "won" and detail["score"]["score"] == 90
    assert detail["owner"]["rep_id"] == "R1" and detail["owner"]["basis"] == "opportunity"
    assert [h["to_stage"] for h in detail["history"]] == ["mql", "sal", "opportunity", "won"]
    kinds = [(e["kind"], e["what"]) for e in detail["timeline"]]
    # newest first: activities, touches, verdicts and stage moves in one line
    assert kinds[0] == ("stage", "opportunity → won")
    assert ("activity", "page_view") in kinds and ("disposition", "accept") in kinds
    assert ("touch", "touch") in kinds
    assert [o["opportunity_id"] for o in detail["opportunities"]] == ["O1"]
    # a merged duplicate opens its survivor; its e-mail works too
    assert lead_detail(scored_story.engine, "L6", Q)["lead"]["lead_id"] == "L4"
    assert lead_detail(scored_story.engine, "l2@example.org", Q)["lead"]["lead_id"] == "L2"
    with pytest.raises(NotFound):
        lead_detail(scored_story.engine, "nobody", Q)


def test_a_merged_duplicates_history_shows_on_its_survivors_page(scored_story: World) -> None:
    scored_story.activity("L6", "form_fill", "2026-01-08")  # L6 was merged into L4
    scored_story.touch("L6", "B", "2026-01-09")
    scored_story.activity("L5", "page_view", "2026-01-08")  # someone else's
    detail = lead_detail(scored_story.engine, "L4", Q)
    assert [(e["kind"], e["what"]) for e in detail["timeline"]] == [
        ("touch", "touch"),
        ("activity", "form_fill"),
    ]


def test_a_narrowed_list_counts_every_match_on_every_page(scored_story: World) -> None:
    kw = {"search": "example.org", "limit": 2}
    first = lead_list(scored_story.engine, Q, **kw)  # type: ignore[arg-type]
    assert (ids(first), first["total"]) == (["L1", "L5"], 5)
    past = lead_list(scored_story.engine, Q, offset=10, **kw)  # type: ignore[arg-type]
    assert (ids(past), past["total"]) == ([], 5)
    mql_search = lead_list(scored_story.engine, Q, stage="rejected", search="l2")
    assert (ids(mql_search), mql_search["total"]) == (["L2"], 1)
    by_id = lead_list(scored_story.engine, Q, stage="rejected", search="L2")
    assert ids(by_id) == ["L2"]
    assert lead_list(scored_story.engine, Q, stage="rejected", search="l5")["total"] == 0


@pytest.mark.parametrize(
    ("lead", "expected"),
    [
        ("L1", ("R2", "assignment")),  # an assignment beats its deal, verdict and account
        ("L2", ("R2", "disposition")),  # a verdict beats the account
        ("L4", ("R1", "account")),
    ],
)
def test_the_first_source_that_knows_owns_the_lead(
    scored_story: World, lead: str, expected: tuple[str, str]
) -> None:
    w = scored_story
    w.account("ACC", owner="R1")
    w.engine.execute("UPDATE leads SET account_id = 'ACC' WHERE lead_id IN ('L1', 'L2', 'L4')")
    w.assignment(7, "L1", "R2", "2026-01-10")
    owner = lead_detail(w.engine, lead, Q)["owner"]
    assert (owner["rep_id"], owner["basis"]) == expected
    listed = {r["lead_id"]: r["owner"] for r in lead_list(w.engine, Q)["leads"]}
    assert listed[lead] == expected[0]
