"""The handoff from the command line: score routes, brief, assignments, touch, sla, notify.

Commands run in-process through the console script's ``main`` (same parsing,
same error handler); tests/cli drives the installed script as a subprocess.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from leadline.cli import main

from ..notify.receivers import WebhookReceiver


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("COLUMNS", "200")

    def invoke(*args: str | Path, workspace: Path | None = None, check: bool = True) -> Result:
        argv = [str(a) for a in args]
        if workspace is not None:
            argv += ["--workspace", str(workspace)]
        capsys.readouterr()
        try:
            main(argv)
            code = 0
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        result = Result(code, captured.out, captured.err)
        if check and code != 0:
            raise AssertionError(f"leadline {' '.join(argv)} failed ({code}): {result.err}")
        return result

    return invoke


CONTRACT = """\
contract: cli-routing
fit:
  rules:
    - {name: software, field: account.industry, in: [software], points: 30}
    - {name: senior, field: lead.seniority, in: [vp, c_level, director], points: 30}
  grades: {A: 60, B: 30, C: 10}
behaviour:
  rules:
    - {name: demo request, activity: demo_request, points: 40}
    - {name: page view, activity: page_view, points: 1}
  triggers:
    - {name: demo request, activity: demo_request, min_grade: B}
exclude: {free_mail_without_company: false}
stages:
  mql: {min_grade: B, min_score: 25}
routing:
  rules:
    - {name: account owner, to: account_owner}
    - name: north america
      when: [{field: account.country, in: [US]}]
      round_robin: {team: [sdr]}
  notify:
    webhook: {url: "${LEADLINE_TEST_WEBHOOK}"}
sla:
  business_hours: {start: "09:00", end: "17:00", timezone: UTC}
  speed_to_lead: {A1: 5m, default: 1h}
  accept_within: 1d
"""


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver().start()
    yield r
    r.stop()


@pytest.fixture
def ws(
    tmp_path: Path, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch, run: Any
) -> Path:
    monkeypatch.setenv("LEADLINE_TEST_WEBHOOK", receiver.url)
    ws = tmp_path / "ws"
    run("init", ws)
    (ws / "leadline.yaml").write_text(CONTRACT)
    files = {
        "reps": "rep_id,name,email,manager,team,region,timezone,capacity,active\n"
        "R1,Amy Carter,amy@example.test,Dana,sdr,na,UTC,10,true\n"
        "R2,Bo Nguyen,bo@example.test,Dana,sdr,na,UTC,10,true\n",
        "accounts": "account_id,name,domain,industry,employees,country\n"
        "A1,Acme,acme.example,Software,500,US\n",
        "leads": "lead_id,email,first_name,last_name,title,company,account_id,created_at\n"
        "L1,ann@acme.example,Ann,Ames,VP Marketing,Acme,A1,2026-01-05T10:00:00\n"
        "L2,cy@acme.example,Cy,Cole,Analyst,Acme,A1,2026-01-05T10:00:00\n",
        "activities": "source,source_event_id,lead_id,activity_type,occurred_at,url\n"
        "web,e1,L1,page_view,2026-02-02T08:50:00,/pricing\n"
        "web,e2,L1,demo_request,2026-02-02T09:00:00,/demo\n"
        "web,e3,L2,page_view,2026-02-01T09:00:00,/blog\n",
    }
    for kind, text in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(text)
        run("import", kind, path, workspace=ws)
    return ws


def test_score_routes_and_the_handoff_can_be_followed_from_the_cli(
    ws: Path, receiver: WebhookReceiver, run: Any
) -> None:
    summary = run("score", "--as-of", "2026-02-02T09:02", "--format", "json", workspace=ws).json()
    assert summary["transitions"]["lead_to_mql"] == 1
    assert summary["transitions"]["mql_routed"] == 1

    (row,) = run("assignments", "--format", "json", workspace=ws).json()
    assert (row["lead_id"], row["rep_id"], row["rule"]) == ("L1", "R1", "north america")

    brief = run(
        "brief",
        "ann@acme.example",
        "--as-of",
        "2026-02-02T09:02",
        "--format",
        "json",
        workspace=ws,
    ).json()
    assert brief["headline"] == "A1 MQL: Ann Ames, VP Marketing at Acme"
    assert brief["bant"]["gaps"] == ["budget", "authority", "need", "timeline"]
    assert brief["owner"]["rep_id"] == "R1"
    text = run("brief", "L1", "--as-of", "2026-02-02T09:02", workspace=ws).out
    assert "Why now" in text and "hand-raise: demo request" in text
    slack = run("brief", "L1", "--as", "slack", workspace=ws).json()
    assert slack["blocks"][0]["type"] == "header"

    delivered = run(
        "notify", "deliver", "--as-of", "2026-02-02T09:02", "--format", "json", workspace=ws
    ).json()
    assert delivered["delivered"] == 1 and delivered["outbox"]["pending"] == 0
    assert receiver.received[0]["text"].startswith("A1 MQL: Ann Ames")

    run("touch", "L1", "--at", "2026-02-02T09:04", "--actor", "R1", workspace=ws)
    checked = run(
        "sla", "--check", "--as-of", "2026-02-03T10:00", "--format", "json", workspace=ws
    ).json()
    states = {c["kind"]: c["state"] for c in checked["clocks"]}
    assert states == {"speed_to_lead": "met", "accept": "breached"}
    assert [b["kind"] for b in checked["new_breaches"]] == ["accept"]
    again = run(
        "sla", "--check", "--as-of", "2026-02-03T11:00", "--format", "json", workspace=ws
    ).json()
    assert again["new_breaches"] == []

    routed = run("route", "--format", "json", workspace=ws).json()
    assert routed == []  # L1 already has an owner; L2 is no MQL


def test_touching_an_unknown_lead_fails_with_a_clear_message(ws: Path, run: Any) -> None:
    result = run("touch", "nobody@nowhere.example", workspace=ws, check=False)
    assert result.code == 1
    assert "no lead with id or email" in result.err


def test_dead_letters_can_be_listed_and_requeued(
    ws: Path, receiver: WebhookReceiver, run: Any
) -> None:
    run("score", "--as-of", "2026-02-02T09:02", workspace=ws)
    receiver.status = 404
    run("notify", "deliver", "--as-of", "2026-02-02T09:02", workspace=ws)
    dead = run("notify", "list", "--status", "dead", "--format", "json", workspace=ws).json()
    assert [(d["lead_id"], d["status"]) for d in dead] == [("L1", "dead")]
    receiver.status = 200
    requeued = run("notify", "requeue", "--format", "json", workspace=ws).json()
    assert requeued == {"requeued": 1}
    out = run("notify", "deliver", "--format", "json", workspace=ws).json()
    assert out["delivered"] == 1
