"""run_import end to end on small generated files in a real DuckDB store."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from leadline.errors import MappingError
from leadline.ingest import KINDS, RowProblem, list_profiles, load_mapping, run_import
from leadline.store.base import Engine
from leadline.store.duckdb import DuckDBEngine

from .helpers import snapshot, write_csv

NOW = datetime(2024, 6, 1, 12, 0)


def leads_file(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "leads.csv",
        ["lead_id", "email", "title", "country", "lead_source", "Favourite Colour"],
        [
            ["L1", "Ann@Acme.com", "VP Marketing", "USA", "google", "Blue"],
            ["L2", "bo@gmail.com", "Student", "India", "Google", "Select"],
            ["L3", "ann@acme.com ", "CMO", "Atlantis", "Google", ""],
        ],
    )


def test_public_api() -> None:
    assert set(KINDS) == {
        "accounts",
        "leads",
        "activities",
        "content",
        "campaigns",
        "touches",
        "opportunities",
        "dispositions",
        "reps",
        "products",
    }
    assert {"x-education", "maven-crm"} <= set(list_profiles())
    assert load_mapping("maven-crm").section("opportunities").values["product"] == {
        "gtxpro": "GTX Pro"
    }


def test_leads_normalised_deduped_and_attributes(engine: DuckDBEngine, tmp_path: Path) -> None:
    s = run_import(engine, "leads", leads_file(tmp_path), now=NOW)
    assert (s.rows_in, s.loaded, s.merged, s.quarantined) == (3, 2, 1, 0)
    rows = engine.fetch_dicts("SELECT * FROM leads ORDER BY lead_id")
    l1, l2, l3 = rows
    assert (l1["email"], l1["email_domain"], l1["is_free_mail"]) == (
        "ann@acme.com",
        "acme.com",
        False,
    )
    assert (l1["seniority"], l1["department"], l1["country"]) == ("vp", "marketing", "US")
    assert l2["is_free_mail"] is True and l2["seniority"] == "student" and l2["country"] == "IN"
    assert {r["lead_source"] for r in rows} == {"Google"}  # most frequent spelling wins
    assert json.loads(l1["attributes"]) == {"favourite_colour": "Blue"}
    assert l2["attributes"] is None  # `Select` is missing
    assert l3["country"] is None and json.loads(l3["attributes"]) == {"country_raw": "Atlantis"}
    assert l3["merged_into"] == "L1" and l1["merged_into"] is None
    assert engine.fetch(
        "SELECT entity, merged_id, survivor_id, match_key, match_value FROM merges"
    ) == [("leads", "L3", "L1", "email", "ann@acme.com")]


def test_activities_follow_the_survivor(engine: DuckDBEngine, tmp_path: Path) -> None:
    run_import(engine, "leads", leads_file(tmp_path), now=NOW)
    acts = write_csv(
        tmp_path / "acts.csv",
        ["email", "lead_id", "activity_type", "occurred_at"],
        [
            ["ANN@acme.com", "", "page_view", "2024-05-01 10:00:00"],
            ["", "L3", "demo_request", "2024-05-02T10:00:00Z"],
        ],
    )
    s = run_import(engine, "activities", acts, now=NOW)
    assert (s.loaded, s.quarantined) == (2, 0)
    resolved = engine.fetch(
        "SELECT a.activity_type, coalesce(l.merged_into, l.lead_id) FROM activities a "
        "JOIN leads l USING (lead_id) ORDER BY occurred_at"
    )
    assert resolved == [("page_view", "L1"), ("demo_request", "L1")]


def test_existing_lead_survives_a_later_file(engine: DuckDBEngine, tmp_path: Path) -> None:
    run_import(engine, "leads", leads_file(tmp_path), now=NOW)
    later = write_csv(tmp_path / "later.csv", ["lead_id", "email"], [["L9", "bo@GMAIL.com"]])
    s = run_import(engine, "leads", later, now=NOW)
    assert (s.merged, s.loaded) == (1, 0)
    assert engine.scalar("SELECT merged_into FROM leads WHERE lead_id = 'L9'") == "L2"


QUARANTINE_CASES = [
    # kind, header, bad row, reason, field
    ("leads", ["lead_id", "email"], ["", "a@b.com"], "missing_key", "lead_id"),
    ("leads", ["lead_id", "email"], ["L5", "not-an-email"], "bad_value", "email"),
    ("leads", ["lead_id", "converted"], ["L5", "perhaps"], "bad_boolean", "converted"),
    ("leads", ["lead_id", "created_at"], ["L5", "31/31/2020"], "bad_timestamp", "created_at"),
    ("leads", ["lead_id", "email"], ["L1", "y@acme.com"], "duplicate_key", "lead_id"),
    ("accounts", ["account_id", "employees"], ["A1", "many"], "bad_number", "employees"),
    (
        "activities",
        ["lead_id", "activity_type", "occurred_at"],
        ["L1", "teleport", "2024-01-01"],
        "bad_value",
        "activity_type",
    ),
    (
        "activities",
        ["lead_id", "activity_type", "occurred_at"],
        ["L404", "page_view", "2024-01-01"],
        "unknown_lead",
        "lead_id",
    ),
    (
        "activities",
        ["lead_id", "activity_type", "occurred_at"],
        ["L1", "page_view", ""],
        "missing_value",
        "occurred_at",
    ),
    (
        "activities",
        ["lead_id", "activity_type", "occurred_at"],
        ["", "page_view", "2024-01-01"],
        "missing_key",
        "lead_id",
    ),
    (
        "dispositions",
        ["email", "action", "decided_at"],
        ["x@acme.com", "shrug", "2024-01-01"],
        "bad_value",
        "action",
    ),
    ("content", ["content_id", "journey_stage"], ["C1", "decision"], "bad_value", "journey_stage"),
]


@pytest.mark.parametrize(
    ("kind", "header", "bad", "reason", "field"),
    QUARANTINE_CASES,
    ids=[f"{c[0]}-{c[3]}" for c in QUARANTINE_CASES],
)
def test_quarantine_reason_file_line_field(
    engine: DuckDBEngine,
    tmp_path: Path,
    kind: str,
    header: list[str],
    bad: list[str],
    reason: str,
    field: str,
) -> None:
    run_import(
        engine,
        "leads",
        write_csv(tmp_path / "seed.csv", ["lead_id", "email"], [["L1", "x@acme.com"]]),
        now=NOW,
    )
    if reason == "duplicate_key":
        header, bad = ["lead_id", "email"], ["L1", "y@acme.com"]
    good_values = {
        "lead_id": "L1",
        "email": "x@acme.com",
        "converted": "yes",
        "created_at": "2024-01-01",
        "account_id": "A0",
        "employees": "5",
        "activity_type": "page_view",
        "occurred_at": "2024-01-01",
        "action": "accept",
        "decided_at": "2024-01-01",
        "content_id": "C0",
        "journey_stage": "problem",
    }
    good = [good_values[h] for h in header]
    # a quoted newline in the first row so the bad row's line is not row + 1
    first = [good[0] + "\nsecond line" if kind in ("content", "accounts") else good[0], *good[1:]]
    path = write_csv(tmp_path / "in.csv", header, [first, bad])
    s = run_import(engine, kind, path, now=NOW)
    assert s.quarantined == 1 and s.quarantined_by_reason == {reason: 1}
    assert s.rows_in == s.loaded + s.unchanged + s.merged + s.quarantined
    q = engine.fetch_dicts("SELECT * FROM quarantine WHERE run_id = ?", [s.run_id])[0]
    expected_line = 4 if kind in ("content", "accounts") else 3
    assert (q["file"], q["row_number"], q["line"], q["field"], q["reason"]) == (
        str(path),
        2,
        expected_line,
        field,
        reason,
    )
    assert json.loads(q["raw"])[header[0]] == bad[0]
    assert s.problems[0].startswith(f"{path}:{expected_line}: {field}: ")


def test_reimport_changes_nothing(engine: DuckDBEngine, tmp_path: Path) -> None:
    path = leads_file(tmp_path)
    acts = write_csv(
        tmp_path / "acts.csv",
        ["lead_id", "activity_type", "occurred_at", "url"],
        [["L1", "page_view", "2024-05-01", "/a"], ["L2", "form_fill", "2024-05-02", ""]],
    )
    run_import(engine, "leads", path, now=NOW)
    run_import(engine, "activities", acts, now=NOW)
    before = snapshot(engine)
    s1 = run_import(engine, "leads", path, now=NOW)
    s2 = run_import(engine, "activities", acts, now=NOW)
    assert snapshot(engine) == before
    assert (s1.unchanged, s1.loaded, s1.merged) == (3, 0, 0)
    assert (s2.unchanged, s2.loaded) == (2, 0)
    assert engine.fetch("SELECT DISTINCT source FROM activities") == [("acts",)]


def test_changed_entity_keeps_its_history(engine: DuckDBEngine, tmp_path: Path) -> None:
    v1 = write_csv(tmp_path / "a.csv", ["account_id", "name", "industry"], [["A1", "Acme", "soft"]])
    v2 = write_csv(
        tmp_path / "b.csv", ["account_id", "industry", "Tier"], [["A1", "software", "1"]]
    )
    run_import(engine, "accounts", v1, now=NOW)
    s = run_import(engine, "accounts", v2, now=NOW)
    assert s.loaded == 1
    row = engine.fetch_dicts("SELECT * FROM accounts")[0]
    assert (row["name"], row["industry"], json.loads(row["attributes"])) == (
        "Acme",
        "software",
        {"tier": "1"},
    )
    old = json.loads(engine.scalar("SELECT data FROM entity_versions WHERE entity_id = 'A1'"))
    assert old["industry"] == "soft"


def test_post_contact_never_in_attributes(engine: DuckDBEngine, tmp_path: Path) -> None:
    profile = tmp_path / "crm.yaml"
    profile.write_text("post_contact: [Tags, Lead Quality]\nattributes: [City]\n")
    path = write_csv(
        tmp_path / "l.csv",
        ["lead_id", "Tags", "Lead Quality", "City"],
        [["L1", "Ringing", "High", "Pune"]],
    )
    run_import(engine, "leads", path, profile, now=NOW)
    attrs, post = engine.fetch("SELECT attributes, post_contact FROM leads")[0]
    assert json.loads(attrs) == {"city": "Pune"}
    assert json.loads(post) == {"lead_quality": "High", "tags": "Ringing"}
    assert engine.fetch("SELECT field, post_contact FROM field_catalog ORDER BY field") == [
        ("city", False),
        ("lead_quality", True),
        ("tags", True),
    ]
    # a later file without the profile cannot sneak `tags` into attributes for good
    again = write_csv(tmp_path / "l2.csv", ["lead_id", "Tags"], [["L1", "Closed"]])
    run_import(engine, "leads", again, profile, now=NOW)
    assert "tags" not in json.loads(engine.scalar("SELECT attributes FROM leads"))


def test_extra_checks_quarantine_rows(engine: DuckDBEngine, tmp_path: Path) -> None:
    run_import(engine, "leads", leads_file(tmp_path), now=NOW)
    disp = write_csv(
        tmp_path / "d.csv",
        ["lead_id", "action", "reason", "decided_at"],
        [["L1", "accept", "", "2024-05-01"], ["L2", "reject", "student", "2024-05-02"]],
    )
    seen: list[str] = []

    def checks(eng: Engine, table: str) -> list[RowProblem]:
        seen.append(table)
        rows = eng.fetch(f"SELECT _row FROM {table} WHERE lead_id = 'L2' AND _problem IS NULL")
        return [
            RowProblem(r[0], "action", "transition_not_allowed", "lead is not an MQL") for r in rows
        ]

    s = run_import(engine, "dispositions", disp, extra_checks=checks, now=NOW)
    assert seen and (s.loaded, s.quarantined_by_reason) == (1, {"transition_not_allowed": 1})
    assert engine.fetch("SELECT source, source_event_id, lead_id FROM dispositions") == [
        ("d.csv", "1", "L1")
    ]


def test_campaigns_with_cost_periods(engine: DuckDBEngine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.csv",
        ["campaign_id", "name", "channel", "period_start", "period_end", "cost", "currency"],
        [
            ["C1", "Spring", "paid_search", "2024-01-01", "2024-01-31", "1,000", "usd"],
            ["C1", "Spring", "paid_search", "2024-02-01", "2024-02-29", "1200", "usd"],
        ],
    )
    s = run_import(engine, "campaigns", path, now=NOW)
    assert (s.loaded, s.quarantined) == (2, 0)
    assert engine.fetch("SELECT campaign_id, name FROM campaigns") == [("C1", "Spring")]
    assert engine.fetch("SELECT cost, currency FROM campaign_costs ORDER BY period_start") == [
        (1000.0, "USD"),
        (1200.0, "USD"),
    ]


def test_strict_profile_rejects_unknown_columns(engine: DuckDBEngine, tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text("strict: true\ncolumns: {ID: lead_id}\n")
    path = write_csv(tmp_path / "l.csv", ["ID", "Surprise"], [["L1", "x"]])
    with pytest.raises(MappingError, match="Surprise"):
        run_import(engine, "leads", path, profile, now=NOW)
    assert engine.scalar("SELECT status FROM import_runs") == "failed"


def test_mapping_errors(engine: DuckDBEngine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", ["activity_type", "occurred_at"], [["page_view", "x"]])
    with pytest.raises(MappingError, match="lead_id or email"):
        run_import(engine, "activities", path, now=NOW)
    with pytest.raises(MappingError, match="no section for 'leads'"):
        run_import(engine, "leads", path, "maven-crm", now=NOW)
    with pytest.raises(MappingError, match="unknown mapping"):
        load_mapping("no-such-profile")


class Boom(Exception):
    pass


def test_killed_mid_import_resumes_without_duplicates(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    engine = DuckDBEngine.at(store)
    from leadline.store import migrate

    migrate(engine)
    rows = [[f"L{i}", f"p{i}@co{i % 7}.com", "Engineer"] for i in range(1, 251)]
    rows[120][0] = ""  # one bad row
    path = write_csv(tmp_path / "leads.csv", ["lead_id", "email", "title"], rows)

    def stop_after_first(done: int, total: int) -> None:
        raise Boom

    with pytest.raises(Boom):
        run_import(engine, "leads", path, batch_size=100, progress=stop_after_first, now=NOW)
    assert engine.scalar("SELECT count(*) FROM leads") == 100
    assert engine.fetch("SELECT status, loaded FROM import_runs") == [("failed", 100)]
    engine.close()

    engine = DuckDBEngine.at(store)
    s = run_import(engine, "leads", path, batch_size=100, now=NOW)
    assert (s.rows_in, s.unchanged, s.loaded, s.quarantined) == (250, 100, 149, 1)
    assert engine.scalar("SELECT count(*), count(DISTINCT lead_id) FROM leads") == 249
    assert engine.scalar("SELECT count(DISTINCT lead_id) FROM leads") == 249
    engine.close()


KILL_SCRIPT = """
import os, signal, sys
from datetime import datetime
from leadline.ingest import run_import
from leadline.store import migrate
from leadline.store.duckdb import DuckDBEngine

engine = DuckDBEngine.at(sys.argv[1])
migrate(engine)

def die_after_first_batch(done: int, total: int) -> None:
    os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no rollback handlers: a real crash

run_import(engine, "leads", sys.argv[2], batch_size=100, progress=die_after_first_batch,
           now=datetime(2026, 3, 1))
"""


def test_a_process_killed_mid_import_leaves_whole_batches_and_resumes(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    store = tmp_path / "s.duckdb"
    rows = [[f"L{i}", f"p{i}@co{i % 7}.com", "Engineer"] for i in range(1, 351)]
    path = write_csv(tmp_path / "leads.csv", ["lead_id", "email", "title"], rows)
    proc = subprocess.run(
        [sys.executable, "-c", KILL_SCRIPT, str(store), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    engine = DuckDBEngine.at(store)
    try:
        # the first batch committed whole; the run is left marked as running
        assert engine.scalar("SELECT count(*) FROM leads") == 100
        assert engine.fetch("SELECT status FROM import_runs") == [("running",)]
        s = run_import(engine, "leads", path, batch_size=100, now=NOW)
        assert (s.rows_in, s.unchanged, s.loaded, s.quarantined) == (350, 100, 250, 0)
        assert engine.scalar("SELECT count(DISTINCT lead_id) FROM leads") == 350
        assert engine.scalar("SELECT count(*) FROM leads") == 350
    finally:
        engine.close()


def test_na_is_a_code_in_country_and_region_and_a_placeholder_elsewhere(
    engine: DuckDBEngine, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "accounts.csv",
        ["account_id", "name", "country", "region", "industry"],
        [
            ["A1", "Windhoek Mining", "NA", "EMEA", "NA"],
            ["A2", "Acme", "US", "NA", "Software"],
            ["A3", "Nobody", "N/A", "Select", "-"],
        ],
    )
    s = run_import(engine, "accounts", path, now=NOW)
    assert (s.loaded, s.quarantined) == (3, 0)
    assert engine.fetch(
        "SELECT account_id, country, region, industry FROM accounts ORDER BY account_id"
    ) == [
        ("A1", "NA", "EMEA", None),  # Namibia; an industry of "NA" is a blank form field
        ("A2", "US", "NA", "Software"),  # North America
        ("A3", None, None, None),
    ]
