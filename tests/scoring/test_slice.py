"""Scoring a few leads on copies of their rows gives exactly the whole store's answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from leadline.app import Leadline
from leadline.scoring import run as scoring
from leadline.scoring.slice import COPIES, Slice
from tests.learn.world import demo_world


@pytest.fixture(scope="module")
def ll(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Leadline]:
    root = demo_world(tmp_path_factory.mktemp("slice"), seed=11, scale=0.03)
    with Leadline.open(root) as opened:
        yield opened


def _as_of(ll: Leadline) -> datetime:
    return ll.engine.scalar("SELECT max(occurred_at) FROM activities")  # type: ignore[no-any-return]


def _lead_sets(ll: Leadline) -> dict[str, list[str]]:
    """Leads whose scores depend on other rows: colleagues, merged duplicates, no account."""
    q = ll.engine.fetch

    def ids(sql: str) -> list[str]:
        return [str(r[0]) for r in q(sql)]

    crowded = ids(
        "SELECT min(lead_id) FROM leads WHERE merged_into IS NULL AND account_id IS NOT NULL "
        "GROUP BY account_id HAVING count(*) >= 3 ORDER BY count(*) DESC, 1 LIMIT 3"
    )
    merged = ids("SELECT DISTINCT merged_into FROM leads WHERE merged_into IS NOT NULL LIMIT 3")
    alone = ids(
        "SELECT lead_id FROM leads WHERE account_id IS NULL AND merged_into IS NULL "
        "ORDER BY lead_id LIMIT 2"
    )
    busy = ids(
        "SELECT a.lead_id FROM activities AS a JOIN leads AS l USING (lead_id) "
        "WHERE l.merged_into IS NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 2"
    )
    sets = {
        "account contacts": crowded,
        "merged duplicates": merged,
        "no account": alone,
        "busiest": busy,
    }
    sets["all of them"] = sorted({i for s in sets.values() for i in s})
    return sets


def _same(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.keys() == w.keys()
        for column, value in g.items():
            expected = w[column]
            if isinstance(value, float):
                assert value == pytest.approx(expected), column
            else:
                assert value == expected, column


def test_the_lead_sets_exercise_what_they_claim(ll: Leadline) -> None:
    sets = _lead_sets(ll)
    assert all(sets[name] for name in ("account contacts", "merged duplicates", "no account"))


def _key(part: dict[str, Any]) -> tuple[str, ...]:
    return (part["lead_id"], part["component"], part["rule"], part["detail"] or "")


@pytest.mark.parametrize(
    "name", ["account contacts", "merged duplicates", "no account", "busiest", "all of them"]
)
def test_snapshots_and_parts_on_the_copies_equal_the_whole_store(ll: Leadline, name: str) -> None:
    lead_ids = _lead_sets(ll)[name]
    as_of = _as_of(ll)
    copies = Slice(ll.engine, ll.compiled)
    copies.load(lead_ids)
    want_snapshots = scoring.score_leads(ll.engine, ll.compiled, as_of, lead_ids)
    _same(copies.snapshots(as_of, lead_ids), want_snapshots)
    snapshots, parts = copies.scores(as_of, lead_ids)  # both in one statement
    _same(snapshots, want_snapshots)
    columns = ", ".join(ll.compiled.parts_columns)
    want = ll.engine.fetch_dicts(
        f"SELECT {columns} FROM ({ll.compiled.parts_query(lead_ids=True).sql('duckdb')}) AS p",
        {"as_of": as_of, "lead_ids": lead_ids},
    )
    assert parts, "these leads have score parts"
    _same(sorted(parts, key=_key), sorted(want, key=_key))
    # put in the parts table, they are the rows a brief reads
    table = copies.put_parts(parts)
    _same(
        sorted(ll.engine.fetch_dicts(f"SELECT {columns} FROM {table}"), key=_key),
        sorted(want, key=_key),
    )


def test_no_parts_leave_the_parts_table_empty(ll: Leadline) -> None:
    lead_ids = _lead_sets(ll)["busiest"]
    copies = Slice(ll.engine, ll.compiled)
    copies.load(lead_ids)
    full = copies.put_parts(copies.scores(_as_of(ll), lead_ids)[1])
    assert ll.engine.scalar(f"SELECT count(*) FROM {full}") > 0
    table = copies.put_parts([])
    assert ll.engine.scalar(f"SELECT count(*) FROM {table}") == 0


def test_each_load_replaces_the_copies_and_holds_only_those_leads_rows(ll: Leadline) -> None:
    sets = _lead_sets(ll)
    copies = Slice(ll.engine, ll.compiled)
    copies.load(sets["busiest"])
    copies.load(sets["no account"])
    held = {str(r[0]) for r in ll.engine.fetch(f"SELECT lead_id FROM {COPIES['leads']}")}
    assert held == set(sets["no account"])
    acts = ll.engine.scalar(f"SELECT count(*) FROM {COPIES['activities']}")
    want = ll.engine.scalar(
        "SELECT count(*) FROM activities WHERE lead_id = ANY($ids)", {"ids": sets["no account"]}
    )
    assert acts == want
    as_of = _as_of(ll)
    _same(
        copies.snapshots(as_of, sets["no account"]),
        scoring.score_leads(ll.engine, ll.compiled, as_of, sets["no account"]),
    )


def test_the_copies_survive_a_rolled_back_step(ll: Leadline) -> None:
    for table in COPIES.values():  # as on a fresh connection
        ll.engine.execute(f"DROP TABLE IF EXISTS {table}")
    copies = Slice(ll.engine, ll.compiled)
    lead_ids = _lead_sets(ll)["no account"]
    with pytest.raises(RuntimeError), ll.engine.transaction():
        copies.load(lead_ids)
        raise RuntimeError("the step failed")
    copies.load(lead_ids)  # made again where the rollback took them
    as_of = _as_of(ll)
    _same(
        copies.snapshots(as_of, lead_ids),
        scoring.score_leads(ll.engine, ll.compiled, as_of, lead_ids),
    )


def test_only_the_three_lead_tables_are_swapped() -> None:
    from sqlglot import parse_one

    from leadline.scoring.slice import on_copies

    sql = on_copies(
        parse_one(
            "SELECT * FROM leads AS l JOIN activities AS a ON a.lead_id = l.lead_id "
            "JOIN content AS c ON TRUE JOIN main.accounts AS x ON TRUE "
            "JOIN accounts ON TRUE",
            read="duckdb",
        )
    )
    assert "_ll_slice_leads AS l" in sql
    assert "_ll_slice_activities AS a" in sql
    assert "content AS c" in sql
    assert "main.accounts AS x" in sql  # a qualified name is left alone
    assert "JOIN _ll_slice_accounts" in sql


def test_warming_prepares_both_queries_and_changes_no_answer(ll: Leadline) -> None:
    copies = Slice(ll.engine, ll.compiled)
    copies.warm()
    prepared = ll.engine._prepared  # type: ignore[attr-defined]
    assert copies.snapshot_sql in prepared
    assert copies.scores_sql in prepared
    lead_ids = _lead_sets(ll)["account contacts"]
    as_of = _as_of(ll)
    copies.load(lead_ids)
    _same(
        copies.snapshots(as_of, lead_ids),
        scoring.score_leads(ll.engine, ll.compiled, as_of, lead_ids),
    )


def test_a_brief_and_an_explanation_copy_their_leads_rows_once(
    ll: Leadline, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadline.routing.brief import build_brief

    loads: list[list[str]] = []
    real = Slice.load

    def counting(self: Slice, lead_ids: list[str]) -> None:
        loads.append(list(lead_ids))
        real(self, lead_ids)

    monkeypatch.setattr(Slice, "load", counting)
    lead = _lead_sets(ll)["account contacts"][0]
    brief = build_brief(ll.engine, ll.compiled, lead, _as_of(ll))
    explanation = ll.explain(lead, _as_of(ll))
    assert loads == [[lead], [lead]]  # one copy each, not one per query
    assert brief.reasons or brief.fit  # the parts came through
    assert explanation.parts and explanation.snapshot["lead_id"] == lead


def test_the_copies_carry_only_the_columns_the_plan_names(ll: Leadline) -> None:
    copies = Slice(ll.engine, ll.compiled)
    lead_ids = _lead_sets(ll)["busiest"]
    copies.load(lead_ids)
    assert {"lead_id", "occurred_at", "activity_type"} <= copies.read
    assert "source_event_id" not in copies.read  # never scored: left out of the copy
    copied = ll.engine.fetch(
        f"SELECT count(*), count(source_event_id), count(occurred_at) FROM {COPIES['activities']}"
    )[0]
    assert copied[0] > 0 and copied[1] == 0 and copied[2] == copied[0]


def test_briefs_read_from_the_copies_equal_briefs_read_from_the_store(ll: Leadline) -> None:
    from leadline.routing.brief import build_briefs

    sets = _lead_sets(ll)
    lead_ids = sorted({*sets["account contacts"], *sets["merged duplicates"]})
    as_of = _as_of(ll)
    colleague = ll.engine.fetch(  # sales judged a colleague: the briefs name that verdict
        "SELECT o.lead_id FROM leads AS l JOIN leads AS o ON o.account_id = l.account_id "
        "WHERE l.lead_id = ? AND o.lead_id <> l.lead_id ORDER BY 1 LIMIT 1",
        [sets["account contacts"][0]],
    )[0][0]
    ll.engine.execute(
        "INSERT INTO dispositions (disposition_id, source, source_event_id, lead_id, action, "
        "reason, actor, decided_at) VALUES (-1, 'test', 'judged', ?, 'reject', 'no_budget', "
        "'amy', ?)",
        [colleague, as_of],
    )
    try:
        with ll.engine.transaction():  # scoring them loads the copies for exactly these leads
            from_store = build_briefs(ll.engine, ll.compiled, lead_ids, as_of)
            from_copies = build_briefs(ll.engine, ll.compiled, lead_ids, as_of, copies=COPIES)
    finally:
        ll.engine.execute("DELETE FROM dispositions WHERE disposition_id = -1")
    assert any(b.other_contacts for b in from_store.values())  # colleagues' activity counted
    for brief in from_store.values():  # two of them at one account: each colleague once
        named = [c["lead_id"] for c in brief.other_contacts]
        assert len(named) == len(set(named))
    assert any(b.activities for b in from_store.values())
    assert any(b.past_dispositions for b in from_store.values())  # names read from the copy
    assert {k: b.to_dict() for k, b in from_copies.items()} == {
        k: b.to_dict() for k, b in from_store.items()
    }
