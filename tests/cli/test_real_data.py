"""The CLI end to end on the real public files in ../shared/data (fail, not skip, when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadline.store.duckdb import DuckDBEngine
from tests.conftest import shared_file

from .runner import run

pytestmark = pytest.mark.slow

CONTRACT = """\
contract: x-education-test
fit:
  rules:
    - name: working professional
      field: lead.attributes.occupation
      in: [Working Professional]
      points: 40
    - {name: unknown specialization, field: lead.attributes.specialization, in: [Select],
       points: 100}
  grades: {A: 40, B: 20, C: 10}
behaviour:
  half_life_days: 30
  rules:
    - {name: visits, activity: site_visit_summary, points: 1}
stages:
  mql: {min_grade: B, min_score: 1}
"""


@pytest.fixture
def x_education(tmp_path: Path) -> tuple[Path, dict[str, object]]:
    ws = tmp_path / "ws"
    run("init", ws)
    (ws / "leadline.yaml").write_text(CONTRACT)
    path = shared_file("x-education/leads.csv")
    summary = run(
        "import", "leads", path, "--mapping", "x-education", "--format", "json", workspace=ws
    ).json()
    return ws, summary


def test_x_education_imports_every_row_and_normalises_placeholders(
    x_education: tuple[Path, dict[str, object]],
) -> None:
    ws, summary = x_education
    assert summary["rows_in"] == 9240
    accounted = (
        summary["loaded"] + summary["unchanged"] + summary["merged"] + summary["quarantined"]
    )
    assert accounted == summary["rows_in"]
    again = run(
        "import",
        "leads",
        shared_file("x-education/leads.csv"),
        "--mapping",
        "x-education",
        "--format",
        "json",
        workspace=ws,
    ).json()
    assert (again["loaded"], again["unchanged"]) == (0, 9240)
    scored = run("score", "--as-of", "2024-06-01", "--format", "json", workspace=ws).json()
    assert scored["leads_scored"] == 9240
    engine = DuckDBEngine.at(ws / "leadline.duckdb", read_only=True)
    try:
        # `Select` is a form placeholder: missing, so the rule on it never matches
        matched = engine.scalar(
            "SELECT count(*) FROM score_parts WHERE rule = 'unknown specialization'"
        )
        assert matched == 0
        professionals = engine.scalar(
            "SELECT count(*) FROM leads WHERE attributes->>'occupation' = 'Working Professional'"
        )
        fit_parts = engine.scalar(
            "SELECT count(*) FROM score_parts WHERE rule = 'working professional'"
        )
        assert professionals == fit_parts > 0
    finally:
        engine.close()


def test_x_education_post_contact_columns_cannot_be_scored(
    x_education: tuple[Path, dict[str, object]],
) -> None:
    ws, _ = x_education
    leaky = CONTRACT.replace(
        "  grades:",
        "    - {name: tagged, field: lead.attributes.tags, in: [Will revert after reading the"
        " email], points: 50}\n  grades:",
    )
    (ws / "leadline.yaml").write_text(leaky)
    check = run("contract", "check", workspace=ws, check=False)
    assert check.code == 2
    assert "leadline.yaml:10:29: fit.rules[2].field" in check.err and "post-contact" in check.err
    assert "x-education" in check.err
    refused = run("score", "--as-of", "2024-06-01", workspace=ws, check=False)
    assert refused.code == 2 and "post-contact" in refused.err


def test_maven_crm_files_import_through_the_cli(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run("init", ws)
    files = {
        "accounts": "accounts.csv",
        "reps": "sales_teams.csv",
        "opportunities": "sales_pipeline.csv",
    }
    for kind, name in files.items():
        summary = run(
            "import",
            kind,
            shared_file(f"maven-crm/{name}"),
            "--mapping",
            "maven-crm",
            "--format",
            "json",
            workspace=ws,
        ).json()
        assert summary["quarantined"] == 0, summary["problems"]
        assert summary["loaded"] == summary["rows_in"] > 0
    runs = run("imports", "--format", "json", workspace=ws).json()
    assert sorted(r["kind"] for r in runs) == sorted(files)
    assert {r["status"] for r in runs} == {"completed"}
    assert sum(r["rows_in"] for r in runs if r["kind"] == "opportunities") == 8800
