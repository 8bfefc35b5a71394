"""``leadline score`` routes the MQLs it makes, on every store (DuckDB and PostgreSQL).

The batch path hands the router its run's snapshots and parts as subqueries
spliced into routing and brief statements; this holds that the spliced SQL
runs on PostgreSQL too, end to end from the workspace object.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from leadline.app import Leadline
from leadline.store.base import Engine
from leadline.workspace import Workspace
from tests.api.world import CONTRACT

T = datetime(2026, 3, 2, 9, 0)


def _world(engine: Engine) -> None:
    engine.execute(
        "INSERT INTO reps (rep_id, name, email, timezone, capacity, active) VALUES "
        "('amy', 'Amy Adams', 'amy@vendor.example', 'UTC', 100, true), "
        "('bo', 'Bo Brown', 'bo@vendor.example', 'UTC', 100, true)"
    )
    engine.execute(
        "INSERT INTO accounts (account_id, name, domain, industry, employees, country) "
        "VALUES ('A1', 'Acme', 'acme.example', 'software', 500, 'US')"
    )
    for lead_id, seniority in (("L1", "vp"), ("L2", "analyst"), ("L3", "director")):
        engine.execute(
            "INSERT INTO leads (lead_id, email, email_domain, is_free_mail, seniority, company, "
            "account_id, created_at) VALUES (?, ?, 'acme.example', false, ?, 'Acme', 'A1', ?)",
            [lead_id, f"{lead_id.lower()}@acme.example", seniority, T - timedelta(days=30)],
        )
    for n, (lead_id, kind) in enumerate(
        (("L1", "demo_request"), ("L2", "page_view"), ("L3", "demo_request"))
    ):
        engine.execute(
            "INSERT INTO activities (source, source_event_id, lead_id, activity_type, "
            "occurred_at, url, ingested_at) VALUES ('web', ?, ?, ?, ?, '/pricing', ?)",
            [str(n), lead_id, kind, T - timedelta(hours=n + 1), T],
        )


def test_a_score_run_routes_its_new_mqls_with_a_brief_on_every_store(
    engine: Engine, tmp_path: Path
) -> None:
    ws = Workspace.locate(tmp_path)
    ws.contract_path.write_text(CONTRACT.replace("WEBHOOK_URL", "http://127.0.0.1:9/hook"))
    ll = Leadline(ws, engine)
    _world(engine)
    summary = ll.score(T)
    assert summary.transitions["lead_to_mql"] == 2, summary.transitions
    owners = dict(engine.fetch("SELECT lead_id, rep_id FROM assignments ORDER BY lead_id"))
    assert sorted(owners) == ["L1", "L3"]  # the two hand-raisers with grade B or better
    assert sorted(owners.values()) == ["amy", "bo"]  # round robin
    payloads = [
        json.loads(p) if isinstance(p, str) else p
        for (p,) in engine.fetch("SELECT payload FROM outbox ORDER BY lead_id")
    ]
    assert len(payloads) == 2
    text = json.dumps(payloads)
    assert "demo request" in text  # why it qualified, from the run's parts
    assert engine.fetch("SELECT count(*) FROM sla_clocks")[0][0] >= 2
