"""The CLI, end to end on a small world: init → import → score → explain → stages."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from .runner import run


def import_all(ws: Path) -> dict[str, dict[str, object]]:
    out = {}
    for kind in ("accounts", "leads", "activities"):
        out[kind] = run(
            "import", kind, ws.parent / f"{kind}.csv", "--format", "json", workspace=ws
        ).json()
    return out


def test_init_writes_a_contract_that_checks_clean(tmp_path: Path) -> None:
    run("init", tmp_path / "fresh")
    result = run("contract", "check", "--format", "json", workspace=tmp_path / "fresh")
    assert result.json()["valid"] is True
    assert len(result.json()["version"]) == 12
    again = run("init", tmp_path / "fresh", check=False)
    assert again.code != 0 and "already exists" in again.err


def test_commands_outside_a_workspace_say_how_to_make_one(tmp_path: Path) -> None:
    result = run("leads", workspace=tmp_path, check=False)
    assert result.code == 1
    assert "not a leadline workspace" in result.err and "leadline init" in result.err


def test_import_reports_counts_that_add_up_and_quarantines_bad_rows(small_world: Path) -> None:
    summaries = import_all(small_world)
    for summary in summaries.values():
        assert summary["rows_in"] == (
            summary["loaded"] + summary["unchanged"] + summary["merged"] + summary["quarantined"]
        )
    assert summaries["leads"]["quarantined"] == 1  # L4's created_at is not a date
    assert summaries["activities"]["quarantined"] == 2  # unknown lead L9, unknown type
    rows = run("quarantine", "--format", "json", workspace=small_world).json()
    fields = {(r["kind"], r["line"], r["field"]) for r in rows}
    assert ("leads", 5, "created_at") in fields
    assert ("activities", 6, "lead_id") in fields or ("activities", 6, "email") in fields
    assert ("activities", 7, "activity_type") in fields
    # importing the same files again changes nothing
    again = import_all(small_world)
    assert all(s["loaded"] == 0 for s in again.values())


def test_score_explain_and_list_by_priority(small_world: Path) -> None:
    import_all(small_world)
    summary = run("score", "--as-of", "2026-02-03", "--format", "json", workspace=small_world)
    assert summary.json()["leads_scored"] == 3
    assert summary.json()["transitions"]["lead_to_mql"] == 1
    leads = run("leads", "--format", "json", workspace=small_world).json()
    assert next(r["lead_id"] for r in leads) == "L1"
    assert {r["lead_id"]: r["stage"] for r in leads} == {"L1": "mql", "L2": "lead", "L3": "lead"}
    assert {r["lead_id"]: r["excluded_reason"] for r in leads}["L3"] == "competitor"
    mqls = run("leads", "--stage", "mql", "--format", "csv", workspace=small_world).out
    table = list(csv.DictReader(io.StringIO(mqls)))
    assert [r["lead_id"] for r in table] == ["L1"]
    explained = run(
        "explain",
        "ann@acme.example",
        "--as-of",
        "2026-02-03",
        "--format",
        "json",
        workspace=small_world,
    ).json()
    rules = {(p["component"], p["rule"]) for p in explained["parts"]}
    assert {
        ("fit", "software"),
        ("fit", "senior"),
        ("engagement", "demo request"),
        ("engagement", "pricing page"),
    } <= rules
    assert explained["snapshot"]["qualifies_mql"] is True
    human = run("explain", "L2", "--as-of", "2026-02-03", workspace=small_world).out
    assert "not an MQL" in human


def test_dispositions_and_manual_moves_follow_the_contract(small_world: Path) -> None:
    import_all(small_world)
    run("score", "--as-of", "2026-02-03", workspace=small_world)
    refused = run("disposition", "L2", "accept", workspace=small_world, check=False)
    assert refused.code == 1 and "does not allow lead → sal" in refused.err
    no_reason = run("disposition", "L1", "reject", workspace=small_world, check=False)
    assert no_reason.code == 1 and "needs a reason code" in no_reason.err
    moved = run(
        "disposition", "L1", "accept", "--actor", "amy", "--format", "json", workspace=small_world
    ).json()
    assert (moved["from_stage"], moved["to_stage"], moved["actor"]) == ("mql", "sal", "amy")
    history = run("history", "L1", "--format", "json", workspace=small_world).json()
    assert [h["to_stage"] for h in history] == ["mql", "sal"]
    assert all(h["contract_version"] for h in history)
    missing = run("stage", "L1", "sql", "--budget", "10k", workspace=small_world, check=False)
    assert missing.code == 1 and "missing: authority, need, timeline" in missing.err


def test_contract_diff_lists_rule_changes_and_affected_leads(small_world: Path) -> None:
    import_all(small_world)
    proposal = small_world / "proposal.yaml"
    text = (small_world / "leadline.yaml").read_text()
    proposal.write_text(
        text.replace("min_score: 25", "min_score: 100").replace(
            "  triggers:\n    - {name: demo request, activity: demo_request, min_grade: B, "
            "within_days: 30}\n",
            "",
        )
    )
    assert "triggers" not in proposal.read_text()
    diff = run(
        "contract",
        "diff",
        small_world / "leadline.yaml",
        proposal,
        "--as-of",
        "2026-02-03",
        "--format",
        "json",
        workspace=small_world,
    ).json()
    assert any("min_score" in str(change) for change in diff["changes"])
    assert diff["impact"]["leads"] == 3
    assert (diff["impact"]["mql_gained"], diff["impact"]["mql_lost"]) == (0, 1)
    assert [lead["lead_id"] for lead in diff["impact"]["changed_leads"]] == ["L1"]
    assert diff["old_version"] != diff["new_version"]


def test_every_command_has_help() -> None:
    top = run("--help").out
    for command in (
        "init",
        "import",
        "score",
        "explain",
        "leads",
        "disposition",
        "stage",
        "history",
        "quarantine",
        "demo",
        "contract",
    ):
        assert command in top
        assert "Usage" in run(*command.split(), "--help").out
