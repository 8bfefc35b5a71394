"""End to end on the real public files in ../shared/data (fail, not skip, when absent)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from leadline.ingest import run_import
from leadline.store.duckdb import DuckDBEngine

from .helpers import snapshot

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def shared_file(relative: str) -> Path:
    """A file from ../shared/data; fail (not skip) with a clear message if it is missing."""
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.fail(
            f"missing test data file {path.resolve()}: these tests read real data "
            "from ../shared/data"
        )
    return path


pytestmark = pytest.mark.slow

POST_CONTACT = {
    "tags",
    "lead_quality",
    "lead_profile",
    "asymmetrique_activity_index",
    "asymmetrique_profile_index",
    "asymmetrique_activity_score",
    "asymmetrique_profile_score",
}


def test_x_education(engine: DuckDBEngine) -> None:
    path = shared_file("x-education/leads.csv")
    s = run_import(engine, "leads", path, "x-education", now=datetime(2024, 6, 1))
    assert s.rows_in == 9240
    assert s.rows_in == s.loaded + s.unchanged + s.merged + s.quarantined
    assert s.loaded == 9240 and s.status == "completed"
    # `Select` is missing, never a value
    assert (
        engine.scalar(
            "SELECT count(*) FROM leads WHERE attributes::VARCHAR LIKE "
            "'%\"Select\"%' OR post_contact::VARCHAR LIKE '%\"Select\"%'"
        )
        == 0
    )
    assert (
        engine.scalar("SELECT count(*) FROM leads WHERE attributes->>'specialization' IS NULL")
        >= 1900
    )
    # google / Google collapse
    assert engine.fetch(
        "SELECT DISTINCT lead_source FROM leads WHERE lower(lead_source) = 'google'"
    ) == [("Google",)]
    assert engine.scalar("SELECT count(*) FROM leads WHERE lead_source = 'Google'") == 2873
    # post-contact columns only in post_contact
    keys = {
        k
        for (a,) in engine.fetch("SELECT attributes FROM leads WHERE attributes IS NOT NULL")
        for k in json.loads(a)
    }
    assert not keys & POST_CONTACT and "specialization" in keys
    post_keys = {
        k
        for (p,) in engine.fetch("SELECT post_contact FROM leads WHERE post_contact IS NOT NULL")
        for k in json.loads(p)
    }
    assert post_keys == POST_CONTACT
    flagged = {f for (f,) in engine.fetch("SELECT field FROM field_catalog WHERE post_contact")}
    assert flagged == POST_CONTACT
    # outcome and country
    assert engine.scalar("SELECT count(*) FROM leads WHERE converted") == 3561
    assert engine.scalar("SELECT count(*) FROM leads WHERE country = 'IN'") == 6492
    # behaviour facts as activities at the profile's time, idempotent ids
    facts = dict(engine.fetch("SELECT activity_type, count(*) FROM activities GROUP BY 1"))
    assert facts["email_open"] == 3437 and facts["chat"] >= 973
    assert "sms_sent" not in facts and facts["site_visit_summary"] > 9000
    assert engine.fetch("SELECT DISTINCT source, occurred_at FROM activities") == [
        ("x-education", datetime(2024, 1, 1))
    ]
    visits = engine.scalar(
        "SELECT value FROM activities WHERE source_event_id = "
        "'2a272436-5132-4136-86fa-dcc88c88f482:total_visits'"
    )
    assert visits == 5.0
    before = snapshot(engine)
    again = run_import(engine, "leads", path, "x-education", now=datetime(2024, 6, 2))
    assert (again.unchanged, again.loaded, again.derived) == (9240, 0, {"activities": 0})
    assert snapshot(engine) == before


def test_maven_crm(engine: DuckDBEngine) -> None:
    files = {
        "accounts": "accounts.csv",
        "products": "products.csv",
        "reps": "sales_teams.csv",
        "opportunities": "sales_pipeline.csv",
    }
    counts = {}
    for kind, name in files.items():
        s = run_import(engine, kind, shared_file(f"maven-crm/{name}"), "maven-crm")
        assert s.quarantined == 0 and s.rows_in == s.loaded
        counts[kind] = s.rows_in
    assert counts == {"accounts": 85, "products": 7, "reps": 35, "opportunities": 8800}
    assert engine.scalar("SELECT count(*) FROM accounts WHERE industry = 'technolgy'") == 0
    assert engine.scalar("SELECT count(*) FROM accounts WHERE industry = 'technology'") > 0
    acme = engine.fetch_dicts("SELECT * FROM accounts WHERE account_id = 'Acme Corporation'")[0]
    assert (acme["annual_revenue"], acme["employees"], acme["country"]) == (
        1_100_040_000.0,
        2822,
        "US",
    )
    assert (
        engine.scalar("SELECT parent_account FROM accounts WHERE name = 'Bluth Company'")
        == "Acme Corporation"
    )
    assert engine.scalar("SELECT country FROM accounts WHERE name = 'Bioholding'") == "PH"
    assert engine.fetch("SELECT DISTINCT stage FROM opportunities ORDER BY 1") == [
        ("engaging",),
        ("lost",),
        ("prospecting",),
        ("won",),
    ]
    assert engine.scalar("SELECT count(*) FROM opportunities WHERE product = 'GTXPro'") == 0
    unknown = engine.scalar(
        "SELECT count(*) FROM opportunities o LEFT JOIN products p ON p.product_id = o.product "
        "WHERE p.product_id IS NULL"
    )
    assert unknown == 0
    assert engine.scalar("SELECT count(*) FROM opportunities WHERE account_id IS NULL") == 1425
    assert (
        engine.scalar(
            "SELECT count(*) FROM reps r WHERE NOT EXISTS (SELECT 1 FROM "
            "opportunities o WHERE o.owner = r.rep_id)"
        )
        == 5
    )
    assert engine.scalar("SELECT min(created_at) FROM opportunities") == datetime(2016, 10, 20)
