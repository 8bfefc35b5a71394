"""``leadline demo``: a seeded world goes through the real import, replay and scoring paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .runner import run


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    ws = tmp_path_factory.mktemp("demo") / "ws"
    result = run("demo", ws, "--scale", "0.1", "--format", "json").json()
    return ws, result


def test_every_file_adds_up(demo: tuple[Path, dict[str, Any]]) -> None:
    _, result = demo
    for kind, summary in result["imports"].items():
        accounted = (
            summary["loaded"] + summary["merged"] + summary["quarantined"] + summary["unchanged"]
        )
        assert accounted == summary["rows_in"], kind
        assert summary["quarantined"] == sum(summary["quarantined_by_reason"].values()), kind
    # the generator plants bad activity rows and duplicate leads on purpose
    assert result["imports"]["activities"]["quarantined"] > 0
    assert result["imports"]["leads"]["merged"] > 0


def test_stages_cover_the_whole_lifecycle(demo: tuple[Path, dict[str, Any]]) -> None:
    ws, result = demo
    stages = {row["stage"]: row["leads"] for row in result["stages"]}
    leads_in_store = result["score"]["leads_scored"]
    assert sum(stages.values()) == leads_in_store
    for stage in ("lead", "mql", "sal", "opportunity", "won", "lost", "rejected", "recycled"):
        assert stages[stage] > 0, stage
    # dispositions imported from the CRM are transitions, each linked to its row
    history = run("history", result["top_mqls"][0]["lead_id"], "--format", "json", workspace=ws)
    assert history.json()[-1]["to_stage"] == "mql"


def test_channels_show_volume_is_not_revenue(demo: tuple[Path, dict[str, Any]]) -> None:
    _, result = demo
    channels = {row["channel"]: row for row in result["channels"]}
    syndication, webinar = channels["content_syndication"], channels["webinar"]
    assert syndication["leads"] > webinar["leads"]
    assert syndication["mqls"] / syndication["leads"] < webinar["mqls"] / webinar["leads"]
    assert syndication["pipeline"] < webinar["pipeline"]


def test_top_mqls_come_with_reasons(demo: tuple[Path, dict[str, Any]]) -> None:
    _, result = demo
    top = result["top_mqls"]
    assert len(top) == 10
    assert all(row["top_reasons"] for row in top)
    ranks = [(row["priority"], -row["score"]) for row in top]
    assert ranks == sorted(ranks)


def test_demo_refuses_to_overwrite_without_force(demo: tuple[Path, dict[str, Any]]) -> None:
    ws, _ = demo
    again = run("demo", ws, "--scale", "0.1", check=False)
    assert again.code != 0
    assert "--force" in again.err
