"""The same CLI session on the embedded store and on PostgreSQL gives the same answers.

A deployment on PostgreSQL loads its files with ``leadline import`` like any
other: rows are staged and normalised in a scratch DuckDB, then checked,
deduplicated and loaded in the PostgreSQL store.  Every listing a user
reads afterwards must not depend on which store is behind the workspace.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from leadline.app import DATABASE_URL_ENV
from tests.conftest import shared_file

from .runner import run

TIMES = {"started_at", "finished_at", "run_id", "file_sha256", "file"}


def session(ws: Path, data: Path, xedu: Path) -> dict[str, Any]:
    """Import, score, list, explain and dispose; what each step printed (as JSON)."""
    out: dict[str, Any] = {}
    for kind in ("accounts", "leads", "activities"):
        out[f"import {kind}"] = run(
            "import", kind, data / f"{kind}.csv", "--format", "json", workspace=ws
        ).json()
    out["import x-education"] = run(
        "import", "leads", xedu, "--mapping", "x-education", "--format", "json", workspace=ws
    ).json()
    out["again"] = run(
        "import", "activities", data / "activities.csv", "--format", "json", workspace=ws
    ).json()
    out["score"] = run("score", "--as-of", "2026-02-10", "--format", "json", workspace=ws).json()
    out["leads"] = run("leads", "--limit", "25", "--format", "json", workspace=ws).json()
    out["explain"] = run(
        "explain", "ann@acme.example", "--as-of", "2026-02-10", "--format", "json", workspace=ws
    ).json()
    out["accept"] = run("disposition", "L1", "accept", "--format", "json", workspace=ws).json()
    out["quarantine"] = run("quarantine", "--format", "json", workspace=ws).json()
    for name in [k for k in out if k.startswith("import") or k == "again"]:
        out[name] = {k: v for k, v in out[name].items() if k not in TIMES}
    return out


def strip(value: Any) -> Any:
    """Drop what legitimately differs between two runs (ids, clocks, file paths)."""
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in TIMES | {"changed_at", "at"}}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


@pytest.mark.slow
def test_a_postgresql_workspace_answers_like_the_embedded_one(
    small_world: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = small_world.parent
    xedu = shared_file("x-education/leads.csv")
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    on_duckdb = session(small_world, data, xedu)

    pg_ws = tmp_path / "pg-ws"
    monkeypatch.setenv(DATABASE_URL_ENV, pg_url)
    run("init", pg_ws)
    (pg_ws / "leadline.yaml").write_text((small_world / "leadline.yaml").read_text())
    on_postgres = session(pg_ws, data, xedu)

    x = on_postgres["import x-education"]
    assert x["rows_in"] == 9240
    assert x["loaded"] + x["unchanged"] + x["merged"] + x["quarantined"] == 9240
    assert on_postgres["import activities"]["quarantined_by_reason"] == {
        "bad_value": 1,
        "unknown_lead": 1,
    }
    assert on_postgres["again"]["loaded"] == 0
    assert not (pg_ws / "leadline.duckdb").exists()  # everything went to PostgreSQL
    for step in on_duckdb:
        assert strip(on_postgres[step]) == strip(on_duckdb[step]), step
