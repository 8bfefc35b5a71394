"""Recording moves and applying automatic ones on a real DuckDB store."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from leadline.contract.schema import Contract
from leadline.errors import TransitionError
from leadline.lifecycle import auto, moves
from leadline.lifecycle.history import history_of, stage_of
from leadline.store.duckdb import DuckDBEngine

CONTRACT = Contract.model_validate(
    {
        "contract": "t",
        "fit": {"grades": {"A": 50, "B": 30, "C": 10}},
        "stages": {
            "mql": {"min_score": 40},
            "mqa": {"min_engaged_contacts": 2, "min_account_score": 50},
            "recycle": {"cooldown_days": 10},
        },
    }
)
T0 = datetime(2026, 3, 1, 9, 0)


def add_lead(engine: DuckDBEngine, lead_id: str, account_id: str | None = None) -> None:
    engine.execute(
        "INSERT INTO leads (lead_id, email, account_id, created_at) VALUES (?, ?, ?, ?)",
        [lead_id, f"{lead_id}@acme.example", account_id, T0 - timedelta(days=30)],
    )


def apply(
    engine: DuckDBEngine, snap: str, at: datetime, scoped: bool | str, **kw: object
) -> auto.AutoResult:
    """``apply_auto_transitions`` over the whole store, or (scoped) told which leads
    ``snap`` holds, as the real-time path does — reading their rows from the store
    or (``"copies"``) from copies of them: the moves must be the same."""
    if scoped:
        kw["lead_ids"] = [str(r[0]) for r in engine.fetch(f"SELECT lead_id FROM {snap}")]
    if scoped == "copies":
        for table in ("leads", "activities"):
            engine.execute(f"CREATE OR REPLACE TEMP TABLE copy_{table} AS SELECT * FROM {table}")
        kw["copies"] = {"leads": "copy_leads", "activities": "copy_activities"}
    return auto.apply_auto_transitions(engine, CONTRACT, "v1", snap, at, **kw)  # type: ignore[arg-type]


SCOPES = pytest.mark.parametrize(
    "scoped", [False, True, "copies"], ids=["whole store", "scoped", "scoped on copies"]
)


def snapshot_table(engine: DuckDBEngine, rows: list[tuple[str, str | None, bool, bool]]) -> str:
    engine.execute(
        "CREATE OR REPLACE TEMP TABLE snap (lead_id VARCHAR, account_id VARCHAR, "
        "qualifies_mql BOOLEAN, mql_reason VARCHAR, account_qualifies_mqa BOOLEAN)"
    )
    for lead_id, account_id, qualifies, mqa in rows:
        engine.execute(
            "INSERT INTO snap VALUES (?, ?, ?, ?, ?)",
            [lead_id, account_id, qualifies, "score 50 >= 40 and grade A", mqa],
        )
    return "snap"


def test_a_manual_move_records_who_when_why_and_version(engine: DuckDBEngine) -> None:
    add_lead(engine, "L1")
    moves.move(engine, CONTRACT, "v1", "L1", "mql", at=T0, actor="amy", reason="event")
    t = moves.dispose(
        engine,
        CONTRACT,
        "v1",
        "L1",
        "reject",
        at=T0 + timedelta(hours=2),
        actor="bo",
        reason="no_budget",
        note="next year",
    )
    assert (t.from_stage, t.to_stage) == ("mql", "rejected")
    rows = history_of(engine, "L1")
    assert [(r["from_stage"], r["to_stage"], r["actor"], r["contract_version"]) for r in rows] == [
        ("lead", "mql", "amy", "v1"),
        ("mql", "rejected", "bo", "v1"),
    ]
    assert engine.fetch("SELECT action, reason, note FROM dispositions") == [
        ("reject", "no_budget", "next year")
    ]


def test_a_move_the_contract_forbids_is_refused_and_not_recorded(engine: DuckDBEngine) -> None:
    add_lead(engine, "L1")
    with pytest.raises(TransitionError, match="does not allow lead → won"):
        moves.move(engine, CONTRACT, "v1", "L1", "won", at=T0, actor="amy")
    assert history_of(engine, "L1") == []


def test_sql_requires_bant_and_stores_it(engine: DuckDBEngine) -> None:
    add_lead(engine, "L1")
    moves.move(engine, CONTRACT, "v1", "L1", "mql", at=T0, actor="x")
    moves.dispose(engine, CONTRACT, "v1", "L1", "accept", at=T0 + timedelta(hours=1), actor="x")
    with pytest.raises(TransitionError, match="missing: timeline"):
        moves.move(
            engine,
            CONTRACT,
            "v1",
            "L1",
            "sql",
            at=T0 + timedelta(hours=2),
            actor="x",
            qualification={"budget": "50k", "authority": "CFO", "need": "forecasting"},
        )
    moves.move(
        engine,
        CONTRACT,
        "v1",
        "L1",
        "sql",
        at=T0 + timedelta(hours=3),
        actor="x",
        qualification={
            "budget": "50k",
            "authority": "CFO",
            "need": "forecasting",
            "timeline": "Q3",
        },
    )
    assert stage_of(engine, "L1", T0 + timedelta(days=1))[0] == "sql"
    assert engine.fetch("SELECT budget, timeline FROM qualifications") == [("50k", "Q3")]


def test_a_change_cannot_be_dated_before_the_last_one(engine: DuckDBEngine) -> None:
    add_lead(engine, "L1")
    moves.move(engine, CONTRACT, "v1", "L1", "mql", at=T0, actor="x")
    with pytest.raises(TransitionError, match="cannot be dated before"):
        moves.dispose(engine, CONTRACT, "v1", "L1", "accept", at=T0 - timedelta(days=1), actor="x")


def test_stage_as_of_reads_history_at_that_time(engine: DuckDBEngine) -> None:
    add_lead(engine, "L1")
    moves.move(engine, CONTRACT, "v1", "L1", "mql", at=T0, actor="x")
    assert stage_of(engine, "L1", T0 - timedelta(seconds=1))[0] == "lead"
    assert stage_of(engine, "L1", T0)[0] == "mql"


@SCOPES
def test_qualifying_leads_become_mql_once(engine: DuckDBEngine, scoped: bool) -> None:
    for lead in ("L1", "L2", "L3"):
        add_lead(engine, lead, "ACC")
    snap = snapshot_table(
        engine, [("L1", "ACC", True, True), ("L2", "ACC", False, True), ("L3", "ACC", True, True)]
    )
    first = apply(engine, snap, T0, scoped)
    assert (first.to_mql, first.to_mqa) == (2, 1)
    again = apply(engine, snap, T0 + timedelta(hours=1), scoped)
    assert again.total == 0
    assert stage_of(engine, "L2", T0)[0] == "lead"
    assert engine.fetch("SELECT account_id, to_stage FROM account_stage_history") == [
        ("ACC", "mqa")
    ]


@SCOPES
def test_recycled_leads_requalify_only_after_cooldown_and_new_activity(
    engine: DuckDBEngine, scoped: bool
) -> None:
    add_lead(engine, "L1")
    moves.move(engine, CONTRACT, "v1", "L1", "mql", at=T0, actor="x")
    moves.dispose(engine, CONTRACT, "v1", "L1", "recycle", at=T0, actor="x", reason="not_now")
    snap = snapshot_table(engine, [("L1", None, True, False)])
    # cooldown (10 days) not over
    assert apply(engine, snap, T0 + timedelta(days=5), scoped).total == 0
    # cooldown over, but nothing new happened
    assert apply(engine, snap, T0 + timedelta(days=12), scoped).total == 0
    engine.execute(
        "INSERT INTO activities (source, source_event_id, lead_id, activity_type, occurred_at, "
        "ingested_at) VALUES ('web', 'e1', 'L1', 'demo_request', ?, ?)",
        [T0 + timedelta(days=13), T0 + timedelta(days=13)],
    )
    result = apply(engine, snap, T0 + timedelta(days=14), scoped)
    assert result.requalified == 1
    assert stage_of(engine, "L1", T0 + timedelta(days=14))[0] == "mql"


def test_opportunities_move_leads_into_pipeline_and_close_them(engine: DuckDBEngine) -> None:
    add_lead(engine, "L1")
    add_lead(engine, "L2")
    moves.move(engine, CONTRACT, "v1", "L1", "mql", at=T0, actor="x")
    engine.execute(
        "INSERT INTO opportunities (opportunity_id, lead_id, stage, amount, created_at, closed_at) "
        "VALUES ('O1', 'L1', 'won', 1000, ?, ?), ('O2', 'L2', 'open', 500, ?, NULL)",
        [T0 + timedelta(days=3), T0 + timedelta(days=20), T0 + timedelta(days=4)],
    )
    opened, closed = auto.apply_crm_facts(engine, "v1", T0 + timedelta(days=10))
    assert (opened, closed) == (2, 0)
    # L2 skipped MQL: the history says so, which is what "won deals that were never MQLs" reads.
    assert [r["from_stage"] for r in history_of(engine, "L2")] == ["lead"]
    opened, closed = auto.apply_crm_facts(engine, "v1", T0 + timedelta(days=30))
    assert (opened, closed) == (0, 1)
    assert stage_of(engine, "L1", T0 + timedelta(days=30))[0] == "won"
    assert stage_of(engine, "L2", T0 + timedelta(days=30))[0] == "opportunity"


@SCOPES
def test_an_mql_move_is_dated_when_the_lead_crossed_the_line_within_the_window(
    engine: DuckDBEngine, scoped: bool
) -> None:
    for lead in ("L1", "L2", "L3", "L4"):
        add_lead(engine, lead)
    add_lead(engine, "L4b")  # a duplicate merged into L4: its activity is L4's
    engine.execute("UPDATE leads SET merged_into = 'L4' WHERE lead_id = 'L4b'")
    engine.execute(
        "INSERT INTO activities (source, source_event_id, lead_id, activity_type, occurred_at, "
        "ingested_at) VALUES ('web', 'a1', 'L1', 'demo_request', ?, ?), "
        "('web', 'a2', 'L2', 'page_view', ?, ?), ('web', 'a3', 'L4b', 'demo_request', ?, ?), "
        "('web', 'a4', 'L1', 'page_view', ?, ?)",
        [
            T0 - timedelta(hours=3),
            T0,
            T0 - timedelta(days=5),
            T0,
            T0 - timedelta(hours=2),
            T0,
            T0 + timedelta(hours=1),  # after as_of: not seen yet
            T0,
        ],
    )
    snap = snapshot_table(
        engine,
        [(lead, None, True, False) for lead in ("L1", "L2", "L3", "L4")],
    )
    apply(engine, snap, T0, scoped, since=T0 - timedelta(days=1))
    leads = ("L1", "L2", "L3", "L4")
    dated = {lead: history_of(engine, lead)[0]["changed_at"] for lead in leads}
    assert dated == {
        "L1": T0 - timedelta(hours=3),  # its demo request, inside the window
        "L2": T0,  # last activity before the window: something else changed, seen now
        "L3": T0,  # no activity at all
        "L4": T0 - timedelta(hours=2),  # its merged duplicate's demo request
    }
