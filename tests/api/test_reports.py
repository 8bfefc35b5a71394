"""``/api/v1/reports`` over real HTTP: the same documents as ``leadline report``, roles, errors.

The store holds the story world of tests/analytics; the CLI answers first (the
server owns the store while it runs), then the server answers the same questions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from leadline.api import keys
from leadline.app import Leadline
from leadline.cli import app as cli
from leadline.workspace import Workspace
from tests.analytics.story import tell

from .conftest import Served, start_server, stop_server

AS_OF = "2026-06-01T00:00:00"
# (report, CLI flags, API query) asked both ways
CASES: tuple[tuple[str, dict[str, str]], ...] = (
    ("funnel", {}),
    ("funnel", {"from": "2026-02-01", "to": "2026-02-28"}),
    ("channels", {"channel": "paid"}),
    ("channels", {"by": "campaign"}),
    ("attribution", {"model": "linear", "by": "channel"}),
    ("velocity", {}),
    ("reasons", {"by": "channel"}),
    ("sla", {}),
    ("cohorts", {}),
    ("content", {"outcome": "won"}),
    ("scoring", {}),
    ("reps", {"rep": "rita@vendor.example"}),
    ("deals", {"by": "product", "from": "2026-01-01"}),
)


def flags(query: dict[str, str]) -> list[str]:
    out = []
    for key, value in query.items():
        out += [f"--{key.replace('_', '-')}", value]
    return out


@dataclass
class StoryServer(Served):
    cli_json: dict[int, Any] | None = None
    cli_csv: str = ""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoryServer]:
    ws = Workspace.locate(tmp_path_factory.mktemp("reports") / "ws")
    ws.create()
    with Leadline.open(ws) as ll:
        tell(ll.engine)
        tokens = {r: keys.create_key(ll.engine, r, f"test {r}")[1] for r in keys.ROLES}
    # the CLI in this process (tests/cli runs the console script itself)
    runner = CliRunner()

    def cli_out(*args: str) -> str:
        result = runner.invoke(cli, ["report", *args, "-w", str(ws.root)])
        assert result.exit_code == 0, result.output
        return result.stdout

    cli_json = {
        i: json.loads(cli_out(name, *flags({**q, "as_of": AS_OF}), "--format", "json"))
        for i, (name, q) in enumerate(CASES)
    }
    cli_csv = cli_out("channels", "--as-of", AS_OF, "--format", "csv")
    server, thread, url = start_server(ws)
    try:
        yield StoryServer(url, ws, tokens, cli_json, cli_csv)
    finally:
        stop_server(server, thread)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_api_and_cli_give_the_same_document(server: StoryServer, case: int) -> None:
    name, query = CASES[case]
    with server.client("marketing") as http:
        response = http.get(f"/api/v1/reports/{name}", params={**query, "as_of": AS_OF})
    assert response.status_code == 200, response.text
    assert server.cli_json is not None
    assert response.json() == server.cli_json[case]


def test_csv_is_the_same_table(server: StoryServer) -> None:
    with server.client("marketing") as http:
        response = http.get("/api/v1/reports/channels", params={"as_of": AS_OF, "format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text == server.cli_csv
    assert response.text.splitlines()[0].startswith("channel,won_revenue,pipeline")


@pytest.mark.parametrize(
    ("role", "report", "status"),
    [
        ("marketing", "funnel", 200),
        ("admin", "channels", 200),
        ("sales", "funnel", 403),
        ("sales", "attribution", 403),
        ("sales", "sla", 200),
        ("sales", "reps", 200),
        (None, "sla", 401),
    ],
)
def test_who_may_read_which_report(
    server: StoryServer, role: str | None, report: str, status: int
) -> None:
    with server.client(role) as http:
        response = http.get(f"/api/v1/reports/{report}", params={"as_of": AS_OF})
    assert response.status_code == status
    if status != 200:
        assert response.json()["error"]["type"] in ("AuthError", "Forbidden")


@pytest.mark.parametrize(
    ("report", "query", "paths"),
    [
        ("funnel", {"grade": "Q"}, ["query.grade"]),
        ("funnel", {"from": "last tuesday", "to": "2026-13-01"}, ["query.from", "query.to"]),
        ("funnel", {"from": "2026-03-01", "to": "2026-02-01"}, ["query.to"]),
        ("funnel", {"by": "channel"}, ["query.by"]),
        ("channels", {"by": "zodiac"}, ["query.by"]),
        ("attribution", {"model": "w_shaped"}, ["query.model"]),
        ("scoring", {"run": "yesterday"}, ["query.run"]),
        ("deals", {"colour": "blue"}, ["query.colour"]),
        ("funnel", {"channel": "paid\x00"}, ["query.channel"]),
    ],
)
def test_bad_input_is_a_422_naming_each_field(
    server: StoryServer, report: str, query: dict[str, str], paths: list[str]
) -> None:
    with server.client("marketing") as http:
        response = http.get(f"/api/v1/reports/{report}", params=query)
    assert response.status_code == 422, response.text
    assert [e["path"] for e in response.json()["error"]["errors"]] == paths


def test_unknown_report_is_404_and_the_list_names_every_report(server: StoryServer) -> None:
    with server.client("sales") as http:
        assert http.get("/api/v1/reports/nope").status_code == 404
        listing = http.get("/api/v1/reports").json()
    assert [r["name"] for r in listing] == [
        "funnel",
        "channels",
        "attribution",
        "velocity",
        "reasons",
        "sla",
        "cohorts",
        "content",
        "scoring",
        "reps",
        "deals",
    ]
    roles = {r["name"]: r["roles"] for r in listing}
    assert roles["sla"] == ["admin", "marketing", "sales"]
    assert roles["funnel"] == ["admin", "marketing"]


def test_reports_are_in_the_openapi_document(server: StoryServer, tmp_path: Path) -> None:
    with server.client() as http:
        paths = http.get("/openapi.json").json()["paths"]
    assert "/api/v1/reports/{name}" in paths
    names = {p["name"] for p in paths["/api/v1/reports/{name}"]["get"]["parameters"]}
    assert {"from", "to", "as_of", "channel", "grade", "rep", "by", "format"} <= names
