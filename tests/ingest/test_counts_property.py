"""Property: whatever mix of good and bad rows, every row is accounted for exactly once."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadline.ingest import run_import
from leadline.store import migrate
from leadline.store.duckdb import DuckDBEngine

from .helpers import write_csv

LEAD_IDS = st.sampled_from(["L1", "L2", "L3", "L4", "", "Select"])
EMAILS = st.sampled_from(["a@acme.com", "A@ACME.com", "b@gmail.com", "bad-email", "", "N/A"])
TYPES = st.sampled_from(["page_view", "demo_request", "Email Open", "teleport", ""])
TIMES = st.sampled_from(["2024-01-01", "2024-01-01T10:00:00Z", "not a time", ""])
VALUES = st.sampled_from(["1", "2.5", "x", ""])

lead_rows = st.lists(st.tuples(LEAD_IDS, EMAILS), max_size=12)
activity_rows = st.lists(st.tuples(LEAD_IDS, EMAILS, TYPES, TIMES, VALUES), max_size=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(leads=lead_rows, activities=activity_rows, batch=st.integers(1, 7))
def test_counts_add_up(
    leads: list[tuple[str, str]], activities: list[tuple[str, ...]], batch: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        engine = DuckDBEngine.at(root / "s.duckdb")
        migrate(engine)
        try:
            now = datetime(2024, 6, 1)
            lf = write_csv(root / "leads.csv", ["lead_id", "email"], [list(r) for r in leads])
            af = write_csv(
                root / "acts.csv",
                ["lead_id", "email", "activity_type", "occurred_at", "value"],
                [list(r) for r in activities],
            )
            for kind, path, n in (("leads", lf, len(leads)), ("activities", af, len(activities))):
                for _ in range(2):  # and again: the second run must add up too
                    s = run_import(engine, kind, path, batch_size=batch, now=now)
                    assert s.rows_in == n
                    assert s.rows_in == s.loaded + s.unchanged + s.merged + s.quarantined
                    assert sum(s.quarantined_by_reason.values()) == s.quarantined
                    stored = engine.scalar(
                        "SELECT count(*) FROM quarantine WHERE run_id = ?", [s.run_id]
                    )
                    assert stored == s.quarantined
            total_leads = engine.scalar("SELECT count(*) FROM leads")
            assert total_leads == engine.scalar("SELECT count(DISTINCT lead_id) FROM leads")
            merged_ok = engine.scalar(
                "SELECT count(*) FROM leads l JOIN leads s ON s.lead_id = l.merged_into "
                "WHERE s.merged_into IS NULL"
            )
            assert merged_ok == engine.scalar("SELECT count(merged_into) FROM leads")
        finally:
            engine.close()
