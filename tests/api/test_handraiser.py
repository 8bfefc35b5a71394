"""The real-time path end to end: a hand-raiser posted to the API is an MQL, routed and
its rep notified at a real webhook receiver — no batch run — and the API's numbers are
the batch run's numbers for the same moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadline.app import Leadline
from leadline.scoring import run as scoring

from .conftest import Served
from .receiver import Receiver


def now_iso(offset_seconds: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset_seconds)).isoformat()


def test_a_demo_request_from_a_good_fit_lead_is_qualified_routed_and_notified(
    live: Served, receiver: Receiver
) -> None:
    event = {
        "source": "web",
        "source_event_id": "demo-1",
        "email": "ann@acme.example",
        "activity_type": "demo_request",
        "occurred_at": now_iso(),
        "url": "/demo",
    }
    with live.client("marketing") as client:
        body = client.post("/api/v1/activities", json=event).json()
    verdict = body["verdict"]
    assert verdict["became_mql"] is True
    assert verdict["snapshot"]["trigger_rule"] == "demo request"
    assert verdict["snapshot"]["priority"] == "A1"
    assert verdict["assignment"]["rep_id"] in ("amy", "bo")
    assert verdict["assignment"]["rule"] == "everyone"

    posts = receiver.wait_for(1)
    assert "Ann Archer" in posts[0].body["text"]
    assert "demo request" in posts[0].body["text"]

    with live.client("sales") as client:
        lead = client.get("/api/v1/leads/L1").json()
    assert lead["stage"] == "mql"
    assert [h["to_stage"] for h in lead["history"]] == ["mql"]
    assert lead["history"][0]["source"] == "score"
    assert lead["owner"]["rep_id"] == verdict["assignment"]["rep_id"]
    with Leadline.open(live.workspace) as ll:
        assert ll.engine.scalar("SELECT count(*) FROM score_runs") == 0  # no batch run
        live_rows = ll.engine.scalar("SELECT count(*) FROM live_snapshots WHERE lead_id = 'L1'")
    assert live_rows == 1

    # The same event again: nothing moves, nobody is notified twice.
    with live.client("marketing") as client:
        again = client.post("/api/v1/activities", json=event).json()
    assert again["status"] == "duplicate"
    assert again["verdict"] is None


def test_a_poor_fit_hand_raiser_is_scored_but_not_an_mql(live: Served) -> None:
    event = {
        "source": "web",
        "source_event_id": "demo-2",
        "lead_id": "L2",  # analyst at a small retailer: grade below B
        "activity_type": "demo_request",
        "occurred_at": now_iso(),
    }
    with live.client("marketing") as client:
        verdict = client.post("/api/v1/activities", json=event).json()["verdict"]
    assert verdict["became_mql"] is False
    assert verdict["assignment"] is None
    assert verdict["snapshot"]["qualifies_mql"] is False
    assert verdict["snapshot"]["grade"] in ("C", "D")


@pytest.mark.parametrize("lead_id", ["L1", "L3"])
def test_the_api_snapshot_is_the_batch_snapshot_for_the_same_as_of(
    live: Served, lead_id: str
) -> None:
    events = [
        {
            "source": "web",
            "source_event_id": f"{lead_id}-{i}",
            "lead_id": lead_id,
            "activity_type": kind,
            "occurred_at": now_iso(-86400 * days),
            "url": url,
        }
        for i, (kind, url, days) in enumerate(
            [("page_view", "/pricing", 3), ("page_view", "/blog", 1), ("demo_request", "/d", 0)]
        )
    ]
    with live.client("marketing") as client:
        body = client.post("/api/v1/activities/batch", json={"items": events}).json()
    api = next(v["snapshot"] for v in body["verdicts"] if v["lead_id"] == lead_id)
    as_of = datetime.fromisoformat(api["as_of"])
    with Leadline.open(live.workspace) as ll, ll.engine.transaction():
        run_id = int(ll.engine.scalar("SELECT nextval('seq_score_run')"))
        scoring.score_all(ll.engine, ll.compiled, as_of, run_id)
        batch = ll.engine.fetch_dicts(
            "SELECT * FROM score_snapshots WHERE run_id = ? AND lead_id = ?", [run_id, lead_id]
        )[0]
        ll.engine.execute("DELETE FROM score_snapshots WHERE run_id = ?", [run_id])
        ll.engine.execute("DELETE FROM score_parts WHERE run_id = ?", [run_id])
    for column, value in api.items():
        expected = batch[column]
        if isinstance(expected, float):
            assert value == pytest.approx(expected, rel=1e-9), column
        elif isinstance(expected, datetime):
            assert datetime.fromisoformat(value) == expected, column
        else:
            assert value == expected, column
