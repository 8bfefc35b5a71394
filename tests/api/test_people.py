"""Personal data over HTTP: export everything about a person, then forget them.

The person leaves traces everywhere a real system would: the lead row, a
merged duplicate, an old version of the row, a quarantined import row, a URL
with their address, form attributes, a sales note, BANT answers, the handoff
brief and the queued notification. After DELETE, no text column of any table
mentions their address or full name, and every report adds up as before.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from leadline.analytics import overview
from leadline.app import Leadline
from leadline.privacy.audit import subject_hash

from .conftest import Served
from .receiver import Receiver

EMAIL = "ann@acme.example"
NAME = "Ann Archer"


def mentions(ll: Leadline, needle: str) -> dict[str, int]:
    """Rows per table.column whose text contains ``needle`` (case-insensitive), whole store."""
    columns = ll.engine.fetch(
        """SELECT c.table_name, c.column_name FROM information_schema.columns AS c
        JOIN information_schema.tables AS t USING (table_catalog, table_schema, table_name)
        WHERE t.table_type = 'BASE TABLE' AND c.table_catalog <> 'temp'
          AND c.table_schema NOT IN ('information_schema', 'pg_catalog')
          AND lower(c.data_type) IN ('varchar', 'json', 'character varying', 'text')"""
    )
    found: dict[str, int] = {}
    for table, column in columns:
        text = f'lower(CAST("{column}" AS VARCHAR))'
        n = ll.engine.scalar(
            f'SELECT count(*) FROM "{table}" WHERE strpos({text}, ?) > 0', [needle.lower()]
        )
        if n:
            found[f"{table}.{column}"] = int(n)
    return found


def leave_traces(live: Served) -> None:
    now = datetime.now(UTC).isoformat()
    with live.client("marketing") as client:
        for body in (
            {
                "source": "web",
                "source_event_id": "p1",
                "email": EMAIL,
                "activity_type": "form_fill",
                "occurred_at": now,
                "url": f"/contact?email={EMAIL}",
                "attributes": {"first_name": "Ann", "form": "contact-us", "phone": "555-0100"},
            },
            {
                "source": "web",
                "source_event_id": "p2",
                "lead_id": "L1",
                "activity_type": "demo_request",
                "occurred_at": now,
            },
        ):
            assert client.post("/api/v1/activities", json=body).status_code == 201
        # a changed lead row (old version kept), a duplicate merged into Ann, a rejected row
        client.post("/api/v1/leads", json={"lead_id": "L1", "email": EMAIL, "title": "SVP"})
        client.post("/api/v1/leads", json={"lead_id": "D1", "email": EMAIL.upper()})
        twice = [{"lead_id": "Q1", "email": "q@globex.example"}, {"lead_id": "Q1", "email": EMAIL}]
        bad = client.post("/api/v1/leads/batch", json={"items": twice})
        assert bad.json()["items"][1]["status"] == "rejected"  # quarantined, raw row kept
    with live.client("sales") as client:
        client.post(
            "/api/v1/leads/L1/disposition",
            json={"action": "accept", "note": f"{NAME} wants a call back on 555-0100"},
        )
        client.post(
            "/api/v1/leads/L1/qualification",
            json={"budget": "Ann's own 20k", "authority": NAME, "need": "x", "timeline": "Q3"},
        )


def test_export_returns_everything_and_forget_erases_it_while_reports_add_up(
    live: Served, receiver: Receiver
) -> None:
    leave_traces(live)
    receiver.wait_for(1)  # the handoff went out (with Ann's name in it)
    with live.client("admin") as admin:
        exported = admin.get(f"/api/v1/people/{EMAIL}")
    assert exported.status_code == 200
    doc: dict[str, Any] = exported.json()
    assert doc["lead_ids"] == ["D1", "L1"]
    tables = doc["tables"]
    for table in ("leads", "activities", "stage_history", "dispositions", "qualifications"):
        assert tables[table], table
    assert {r["lead_id"] for r in tables["leads"]} == {"D1", "L1"}
    assert any(EMAIL in str(r["raw"]) for r in tables["quarantine"])
    assert any(r["entity_id"] == "L1" for r in tables["entity_versions"])
    assert "assignments" in tables

    with Leadline.open(live.workspace) as ll:
        before = mentions(ll, EMAIL)
        at = datetime.now(UTC).replace(tzinfo=None)
        stages_before = overview.stage_counts(ll.engine, at)
        funnel_before = overview.funnel(ll.engine, at)
        counts_before = ll.engine.fetch(
            "SELECT (SELECT count(*) FROM leads), (SELECT count(*) FROM activities), "
            "(SELECT count(*) FROM stage_history), (SELECT count(*) FROM quarantine)"
        )
    assert {"leads.email", "activities.url", "quarantine.raw"} <= set(before)

    with live.client("admin") as admin:
        forgotten = admin.delete(f"/api/v1/people/{EMAIL}")
        again = admin.delete(f"/api/v1/people/{EMAIL}")
        gone = admin.get(f"/api/v1/people/{EMAIL}")
    assert forgotten.status_code == 200, forgotten.text
    report = forgotten.json()
    assert report["email_sha256"] == subject_hash(EMAIL)
    assert report["rows_changed"] > 0
    assert again.status_code == 404
    assert gone.status_code == 404

    with Leadline.open(live.workspace) as ll:
        assert mentions(ll, EMAIL) == {}
        assert mentions(ll, NAME) == {}
        lead = ll.engine.fetch_dicts(
            "SELECT email, first_name, last_name, title, account_id FROM leads WHERE lead_id='L1'"
        )[0]
        notes = ll.engine.fetch("SELECT note FROM dispositions WHERE lead_id = 'L1'")
        bant = ll.engine.fetch("SELECT budget, authority, timeline FROM qualifications")
        attrs = ll.engine.scalar(
            "SELECT CAST(attributes AS VARCHAR) FROM activities WHERE source_event_id = 'p1'"
        )
        audit = ll.engine.fetch_dicts("SELECT action, subject_sha256, actor FROM audit_log")
        assert overview.stage_counts(ll.engine, at) == stages_before
        assert overview.funnel(ll.engine, at) == funnel_before
        assert (
            ll.engine.fetch(
                "SELECT (SELECT count(*) FROM leads), (SELECT count(*) FROM activities), "
                "(SELECT count(*) FROM stage_history), (SELECT count(*) FROM quarantine)"
            )
            == counts_before
        )
    assert lead == {
        "email": None,
        "first_name": None,
        "last_name": None,
        "title": "SVP",
        "account_id": "A1",
    }
    assert notes == [(None,)]
    assert bant == [("[forgotten]", "[forgotten]", "[forgotten]")]
    assert '"form":"contact-us"' in attrs.replace(" ", "")
    assert "phone" not in attrs and "first_name" not in attrs
    assert [(a["action"], a["subject_sha256"]) for a in audit] == [
        ("export", subject_hash(EMAIL)),
        ("forget", subject_hash(EMAIL)),
    ]
    assert all("admin" in a["actor"] for a in audit)
