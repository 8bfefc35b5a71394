"""Export and forget on each engine: the store-level functions, without HTTP."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from leadline.errors import NotFound
from leadline.privacy import export_person, forget
from leadline.store.base import Engine

pytestmark = pytest.mark.parametrize("engine", ["duckdb", "postgres"], indirect=True)
T = datetime(2026, 3, 2, 10, 0)


def seed(engine: Engine) -> None:
    engine.execute(
        "INSERT INTO leads (lead_id, email, first_name, last_name, title, attributes, created_at) "
        "VALUES ('L1', 'ann@acme.example', 'Ann', 'Archer', 'VP', ?, ?), "
        "('L2', 'bob@acme.example', 'Bob', 'Baker', 'CTO', NULL, ?)",
        [json.dumps({"phone": "555", "tier": "2"}), T, T],
    )
    engine.execute(
        "INSERT INTO activities (source, source_event_id, lead_id, activity_type, occurred_at, "
        "url, ingested_at) VALUES ('web', '1', 'L1', 'page_view', ?, '/x?e=ann@acme.example', ?), "
        "('web', '2', 'L2', 'page_view', ?, '/y', ?)",
        [T, T, T, T],
    )
    engine.execute(
        "INSERT INTO dispositions (disposition_id, source, source_event_id, lead_id, action, "
        "note, decided_at) VALUES (1, 'cli', 'd1', 'L1', 'accept', 'Ann Archer said yes', ?)",
        [T],
    )
    engine.execute(
        "INSERT INTO quarantine (run_id, kind, file, row_number, reason, message, raw) VALUES "
        "(1, 'leads', 'f.csv', 3, 'bad_value', 'bad', ?), (1, 'leads', 'f.csv', 4, 'x', 'x', ?)",
        [
            json.dumps({"Email": "ANN@acme.example", "City": "Oslo"}),
            json.dumps({"Email": "z@q.io"}),
        ],
    )
    engine.execute(
        "INSERT INTO entity_versions (entity, entity_id, data, replaced_at) VALUES "
        "('leads', 'L1', ?, ?)",
        [json.dumps({"lead_id": "L1", "email": "ann@acme.example", "first_name": "Ann"}), T],
    )


def test_export_finds_every_trace_and_forget_keeps_only_facts(engine: Engine) -> None:
    seed(engine)
    doc = export_person(engine, "Ann@Acme.example", "test")
    assert doc["lead_ids"] == ["L1"]
    assert [r["source_event_id"] for r in doc["tables"]["activities"]] == ["1"]
    assert len(doc["tables"]["quarantine"]) == 1
    assert doc["tables"]["entity_versions"][0]["entity_id"] == "L1"

    report = forget(engine, "ann@acme.example", "test", T)
    assert report.changed["leads.email"] == 1
    assert engine.fetch("SELECT email, first_name, title FROM leads ORDER BY lead_id") == [
        (None, None, "VP"),
        ("bob@acme.example", "Bob", "CTO"),
    ]
    assert engine.scalar("SELECT url FROM activities WHERE lead_id = 'L1'") == "/x?e=[forgotten]"
    assert engine.scalar("SELECT note FROM dispositions") is None
    attrs = json.loads(
        engine.scalar("SELECT CAST(attributes AS VARCHAR) FROM leads WHERE lead_id='L1'")
    )
    assert attrs == {"tier": "2"}
    raws = [
        json.loads(r[0])
        for r in engine.fetch("SELECT CAST(raw AS VARCHAR) FROM quarantine ORDER BY row_number")
    ]
    assert raws == [{"City": "Oslo"}, {"Email": "z@q.io"}]
    old = json.loads(engine.scalar("SELECT CAST(data AS VARCHAR) FROM entity_versions"))
    assert old == {"lead_id": "L1"}
    assert engine.scalar("SELECT count(*) FROM activities") == 2
    with pytest.raises(NotFound):
        forget(engine, "ann@acme.example", "test", T)
    assert [r[0] for r in engine.fetch("SELECT action FROM audit_log ORDER BY audit_id")] == [
        "export",
        "forget",
    ]
