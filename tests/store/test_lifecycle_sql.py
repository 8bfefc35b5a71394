"""The lifecycle's set-based SQL that leans on DuckDB idioms, on every engine.

``apply_dispositions`` finds "the stage the lead was in at that time" with an
ASOF join (a LATERAL subquery on PostgreSQL); recycling cooldowns add
``to_microseconds(…)`` to a timestamp.  Both must give the same history on
DuckDB and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from leadline.contract.schema import Contract
from leadline.lifecycle import auto, imported, moves
from leadline.lifecycle.history import history_of
from leadline.store.base import Engine

T0 = datetime(2026, 3, 1, 9, 0)
CONTRACT = Contract.model_validate(
    {
        "contract": "t",
        "fit": {"grades": {"A": 50, "B": 30, "C": 10}},
        "stages": {"mql": {"min_score": 40}, "recycle": {"cooldown_days": 1.5}},
    }
)


def _lead(engine: Engine, lead_id: str) -> None:
    engine.execute(
        "INSERT INTO leads (lead_id, created_at) VALUES (?, ?)", [lead_id, T0 - timedelta(days=9)]
    )


def _disposition(engine: Engine, n: int, lead_id: str, action: str, at: datetime) -> None:
    engine.execute(
        "INSERT INTO dispositions (disposition_id, source, source_event_id, lead_id, action, "
        "reason, actor, decided_at) VALUES (?, 'crm', ?, ?, ?, ?, 'bo', ?)",
        [n, f"e{n}", lead_id, action, "no_budget" if action != "accept" else None, at],
    )


def test_dispositions_start_from_the_stage_the_lead_was_in_then(engine: Engine) -> None:
    for lead in ("L1", "L2"):
        _lead(engine, lead)
    moves.move(engine, CONTRACT, "v1", "L1", "mql", at=T0, actor="amy")
    _disposition(engine, 1, "L1", "accept", T0 + timedelta(days=1))
    _disposition(engine, 2, "L1", "reject", T0 + timedelta(days=2))
    _disposition(engine, 3, "L2", "recycle", T0 + timedelta(hours=5))
    assert imported.apply_dispositions(engine, "v1") == 3
    assert imported.apply_dispositions(engine, "v1") == 0  # applied once
    got = {
        lead: [
            (r["from_stage"], r["to_stage"], r["disposition_id"]) for r in history_of(engine, lead)
        ]
        for lead in ("L1", "L2")
    }
    assert got == {
        "L1": [("lead", "mql", None), ("mql", "sal", 1), ("sal", "rejected", 2)],
        "L2": [("lead", "recycled", 3)],
    }


def test_a_recycled_lead_requalifies_only_after_the_cooldown(engine: Engine) -> None:
    _lead(engine, "L1")
    moves.move(engine, CONTRACT, "v1", "L1", "mql", at=T0, actor="amy")
    moves.dispose(engine, CONTRACT, "v1", "L1", "recycle", at=T0, actor="bo", reason="not_now")
    engine.execute(
        "INSERT INTO activities (source, source_event_id, lead_id, activity_type, occurred_at, "
        "ingested_at) VALUES ('web', 'a1', 'L1', 'page_view', ?, ?)",
        [T0 + timedelta(hours=1), T0 + timedelta(hours=1)],
    )
    snapshot = (
        "(SELECT 'L1' AS lead_id, CAST(NULL AS VARCHAR) AS account_id, TRUE AS qualifies_mql, "
        "'score 50 >= 40' AS mql_reason, FALSE AS account_qualifies_mqa)"
    )
    early = auto.apply_auto_transitions(
        engine, CONTRACT, "v1", snapshot, T0 + timedelta(days=1), crm_facts=False, since=T0
    )
    assert early.requalified == 0
    late = auto.apply_auto_transitions(
        engine, CONTRACT, "v1", snapshot, T0 + timedelta(days=2), crm_facts=False, since=T0
    )
    assert late.requalified == 1
    last = history_of(engine, "L1")[-1]
    assert (last["from_stage"], last["to_stage"]) == ("recycled", "mql")
    # dated when the cooldown ended (1.5 days after the recycle), after the activity
    # that made it qualify (T0 + 1h) and before the run looked (T0 + 2 days)
    assert last["changed_at"] == T0 + timedelta(hours=36)
