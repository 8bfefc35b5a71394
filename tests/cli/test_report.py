"""``leadline report`` as a user runs it: the list, a table, CSV, and refusals with exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadline.app import Leadline
from leadline.cli import main
from leadline.workspace import Workspace
from tests.analytics.story import tell

from .runner import run


@pytest.fixture(scope="module")
def story_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = Workspace.locate(tmp_path_factory.mktemp("report") / "ws")
    ws.create()
    with Leadline.open(ws) as ll:
        tell(ll.engine)
    return ws.root


def test_without_a_name_it_lists_the_reports(story_ws: Path) -> None:
    listing = run("report", "--format", "json", workspace=story_ws).json()
    assert [r["report"] for r in listing][:3] == ["funnel", "channels", "attribution"]
    assert all(r["title"] and r["window"] for r in listing)


def test_a_table_leads_with_the_title_and_summary(story_ws: Path) -> None:
    out = run("report", "channels", "--as-of", "2026-06-01", workspace=story_ws).out
    assert out.splitlines()[0].startswith("Channels by revenue")
    assert "won_revenue: 1,000" in out and "paid" in out


def test_csv_of_a_chosen_table(story_ws: Path) -> None:
    out = run(
        "report",
        "reasons",
        "--as-of",
        "2026-06-01",
        "--format",
        "csv",
        "--table",
        "by_month",
        workspace=story_ws,
    ).out
    assert out.splitlines() == [
        "month,kind,reason,events,share_of_month",
        "2026-01,rejected,bad_fit,1,1.0",
        "2026-03,lost,price,1,1.0",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["funnel", "--grade", "Z"], "grade: use one of A, B, C, D"),
        (["funnel", "--by", "channel"], "this report does not take 'by'"),
        (["nope"], "unknown report 'nope'"),
        (["funnel", "--from", "someday"], "'someday' is not an ISO date"),
    ],
)
def test_bad_input_exits_2_with_the_field(
    story_ws: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # the console script's own entry point, in this process (a subprocess costs seconds)
    with pytest.raises(SystemExit) as exit_:
        main(["report", *args, "-w", str(story_ws)])
    assert exit_.value.code == 2
    assert message in " ".join(capsys.readouterr().err.split())
