"""``leadline backtest`` through the real console script."""

from __future__ import annotations

from pathlib import Path

from tests.cli.runner import run


def _candidate(ws: Path) -> Path:
    path = ws / "candidate.yaml"
    text = (ws / "leadline.yaml").read_text()
    path.write_text(text.replace("min_score: 45", "min_score: 30"))
    return path


def test_backtest_side_by_side(demo: Path) -> None:
    candidate = _candidate(demo)
    args = ("backtest", candidate, "--from", "2026-06-01", "--to", "2026-07-27")
    result = run(*args, "--format", "json", workspace=demo).json()
    metrics = {r["metric"]: r for r in result["metrics"]}
    assert metrics["mql_leads"]["candidate"] > metrics["mql_leads"]["current"]
    assert result["window"]["steps"] == 9 and result["window"]["step"] == "week"
    assert result["contracts"]["candidate"]["file"] == str(candidate)
    table = run(
        "backtest", candidate, "--from", "2026-07-01", "--to", "2026-07-15", workspace=demo
    ).out
    assert "current vs candidate" in table and "flips:" in table


def test_backtest_sweep_recommends_a_threshold(demo: Path) -> None:
    candidate = _candidate(demo)
    out = run(
        "backtest",
        candidate,
        "--from",
        "2026-06-01",
        "--to",
        "2026-07-27",
        "--sweep-threshold",
        "--thresholds",
        "20:60:20",
        "--capacity",
        "1",
        workspace=demo,
    ).out
    assert "MQL threshold sweep" in out and "recommended threshold:" in out


def test_backtest_needs_a_window(demo: Path) -> None:
    result = run("backtest", _candidate(demo), workspace=demo, check=False)
    assert result.code != 0 and "--from DATE --to DATE" in result.err
