"""Fixtures for CLI tests: a workspace with a tiny contract and canonical CSV files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.contracts import SMALL_CONTRACT

from .runner import run


@pytest.fixture
def small_world(tmp_path: Path) -> Path:
    """A workspace with a tiny contract and canonical CSV files beside it (not yet imported)."""
    ws = tmp_path / "ws"
    run("init", ws)
    (ws / "leadline.yaml").write_text(SMALL_CONTRACT)
    (tmp_path / "accounts.csv").write_text(
        "account_id,name,domain,industry,employees,country\n"
        "A1,Acme,acme.example,Software,500,US\n"
        "A2,Globex,globex.example,retail,50,DE\n"
    )
    (tmp_path / "leads.csv").write_text(
        "lead_id,email,first_name,last_name,title,company,account_id,created_at\n"
        "L1,ann@acme.example,Ann,A,VP Marketing,Acme,A1,2026-01-05T10:00:00\n"
        "L2,bob@globex.example,Bob,B,Analyst,Globex,A2,2026-01-06T10:00:00\n"
        "L3,cy@rival.example,Cy,C,CEO,Rival,,2026-01-07T10:00:00\n"
        "L4,dee@acme.example,Dee,D,Director of Sales,Acme,A1,not-a-date\n"
    )
    (tmp_path / "activities.csv").write_text(
        "source,source_event_id,lead_id,activity_type,occurred_at,url\n"
        "web,e1,L1,page_view,2026-02-01T09:00:00,/pricing\n"
        "web,e2,L1,demo_request,2026-02-02T09:00:00,/demo\n"
        "web,e3,L2,page_view,2026-02-01T09:00:00,/blog/x\n"
        "web,e4,L3,demo_request,2026-02-01T09:00:00,/demo\n"
        "web,e5,L9,page_view,2026-02-01T09:00:00,/blog/y\n"
        "web,e6,L2,teleport,2026-02-01T09:00:00,/blog/y\n"
    )
    return ws
