"""A file of sales dispositions: each row is checked against the contract, then applied."""

from __future__ import annotations

from pathlib import Path

from leadline.ingest import run_import
from leadline.lifecycle import imported, moves
from leadline.lifecycle.history import history_of, stage_of
from leadline.store.base import Engine

from .test_moves_and_auto import CONTRACT, T0, add_lead

HEADER = "source,source_event_id,lead_id,action,reason,note,actor,decided_at\n"


def import_dispositions(engine: Engine, path: Path, body: str) -> dict[str, object]:
    path.write_text(HEADER + body)
    summary = run_import(
        engine,
        "dispositions",
        path,
        extra_checks=imported.disposition_checks(CONTRACT),
    )
    imported.apply_dispositions(engine, "v1")
    return summary.to_dict()


def test_valid_rows_become_transitions_and_bad_rows_are_quarantined_with_reasons(
    engine: Engine, tmp_path: Path
) -> None:
    for lead in ("L1", "L2", "L3", "L4", "L5"):
        add_lead(engine, lead)
        moves.move(engine, CONTRACT, "v1", lead, "mql", at=T0, actor="score")
    moves.dispose(
        engine, CONTRACT, "v1", "L5", "reject", at=T0.replace(day=9), actor="bo", reason="bad_fit"
    )
    body = (
        "crm,d1,L1,accept,,,amy,2026-03-02T10:00:00\n"  # mql -> sal
        "crm,d2,L2,reject,no_budget,,amy,2026-03-02T10:00:00\n"  # mql -> rejected
        "crm,d3,L3,reject,,,amy,2026-03-02T10:00:00\n"  # no reason
        "crm,d4,L4,reject,bad_vibes,,amy,2026-03-02T10:00:00\n"  # not a contract reason
        "crm,d5,L9,accept,,,amy,2026-03-02T10:00:00\n"  # unknown lead
        "crm,d6,L5,accept,,,amy,2026-03-02T10:00:00\n"  # before a later change in history
        "crm,d7,L1,recycle,not_now,,amy,2026-03-05T10:00:00\n"  # sal -> recycled (chained)
    )
    summary = import_dispositions(engine, tmp_path / "disp.csv", body)
    assert summary["rows_in"] == 7
    assert summary["loaded"] == 3
    assert summary["quarantined_by_reason"] == {
        "missing_reason": 1,
        "unknown_reason": 1,
        "unknown_lead": 1,
        "out_of_order": 1,
    }
    assert summary["loaded"] + summary["quarantined"] == summary["rows_in"]
    l1 = history_of(engine, "L1")
    assert [(h["from_stage"], h["to_stage"], h["source"]) for h in l1] == [
        ("lead", "mql", "manual"),
        ("mql", "sal", "disposition"),
        ("sal", "recycled", "disposition"),
    ]
    assert all(h["disposition_id"] is not None for h in l1[1:])
    assert stage_of(engine, "L2", T0.replace(day=3))[0] == "rejected"
    assert stage_of(engine, "L3", T0.replace(day=3))[0] == "mql"
    problems = engine.fetch_dicts(
        "SELECT line, field, reason FROM quarantine WHERE kind = 'dispositions' ORDER BY line"
    )
    assert [(p["line"], p["field"], p["reason"]) for p in problems] == [
        (4, "reason", "missing_reason"),
        (5, "reason", "unknown_reason"),
        (6, "lead_id", "unknown_lead"),
        (7, "decided_at", "out_of_order"),
    ]


def test_a_move_the_contract_does_not_allow_is_quarantined(engine: Engine, tmp_path: Path) -> None:
    add_lead(engine, "L1")  # still a plain lead: sales cannot accept it
    summary = import_dispositions(
        engine, tmp_path / "d.csv", "crm,d1,L1,accept,,,amy,2026-03-02T10:00:00\n"
    )
    assert summary["quarantined_by_reason"] == {"transition_not_allowed": 1}
    assert history_of(engine, "L1") == []


def test_a_bad_row_does_not_lend_its_stage_to_the_next_row(engine: Engine, tmp_path: Path) -> None:
    add_lead(engine, "L1")
    moves.move(engine, CONTRACT, "v1", "L1", "mql", at=T0, actor="score")
    body = (
        "crm,d1,L1,reject,bad_vibes,,amy,2026-03-02T10:00:00\n"  # invalid reason
        "crm,d2,L1,recycle,not_now,,amy,2026-03-03T10:00:00\n"  # mql -> recycled: allowed
        "crm,d3,L1,accept,,,amy,2026-03-04T10:00:00\n"  # recycled -> sal: not allowed
    )
    summary = import_dispositions(engine, tmp_path / "d.csv", body)
    assert summary["quarantined_by_reason"] == {
        "unknown_reason": 1,
        "transition_not_allowed": 1,
    }
    assert [h["to_stage"] for h in history_of(engine, "L1")] == ["mql", "recycled"]


def test_reimporting_the_same_file_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    add_lead(engine, "L1")
    moves.move(engine, CONTRACT, "v1", "L1", "mql", at=T0, actor="score")
    body = "crm,d1,L1,accept,,,amy,2026-03-02T10:00:00\n"
    first = import_dispositions(engine, tmp_path / "d.csv", body)
    again = import_dispositions(engine, tmp_path / "d.csv", body)
    assert (first["loaded"], again["loaded"], again["unchanged"]) == (1, 0, 1)
    assert again["quarantined"] == 0
    assert len(history_of(engine, "L1")) == 2
