"""``leadline export-person`` and ``leadline forget`` from the shell, on a real workspace."""

from __future__ import annotations

import json
from pathlib import Path

from leadline.app import Leadline
from tests.api.world import build_world
from tests.cli.runner import run


def test_export_then_forget_from_the_command_line(tmp_path: Path) -> None:
    ws = build_world(tmp_path / "world", "http://127.0.0.1:9/unused")
    out = tmp_path / "ann.json"
    written = run("export-person", "Ann@Acme.example", "-o", out, "-w", ws.root)
    assert "wrote" in written.out
    exported = json.loads(out.read_text())
    assert exported["lead_ids"] == ["L1"]
    assert exported["tables"]["leads"][0]["first_name"] == "Ann"

    refused = run("forget", "ann@acme.example", "-w", ws.root, check=False)
    assert refused.code == 2
    assert "--yes" in refused.err
    report = run("forget", "ann@acme.example", "--yes", "-f", "json", "-w", ws.root).json()
    assert report["lead_ids"] == ["L1"]
    assert report["changed"]["leads.email"] == 1

    with Leadline.open(ws) as ll:
        assert ll.engine.fetch("SELECT email, first_name FROM leads WHERE lead_id = 'L1'") == [
            (None, None)
        ]
        actions = ll.engine.fetch("SELECT action, actor FROM audit_log ORDER BY audit_id")
    assert [a for a, _ in actions] == ["export", "forget"]
    assert all(actor.startswith("cli") for _, actor in actions)
