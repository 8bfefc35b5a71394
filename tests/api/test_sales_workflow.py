"""Sales over real HTTP: read a lead, first touch, dispositions, SQL with BANT, opportunities."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from .conftest import Served


def make_mql(live: Served, lead_id: str) -> dict[str, Any]:
    with live.client("marketing") as client:
        body = client.post(
            "/api/v1/activities",
            json={
                "source": "web",
                "source_event_id": f"demo-{lead_id}",
                "lead_id": lead_id,
                "activity_type": "demo_request",
                "occurred_at": datetime.now(UTC).isoformat(),
            },
        ).json()
    assert body["verdict"]["became_mql"], body
    verdict: dict[str, Any] = body["verdict"]
    return verdict


def stages(client: httpx.Client, lead_id: str) -> list[str]:
    return [h["to_stage"] for h in client.get(f"/api/v1/leads/{lead_id}").json()["history"]]


def test_a_lead_reads_with_score_explanation_history_owner_and_brief(live: Served) -> None:
    make_mql(live, "L1")
    with live.client("sales") as client:
        lead = client.get("/api/v1/leads/ann@acme.example").json()
        brief = client.get("/api/v1/leads/L1/brief").json()
        missing = client.get("/api/v1/leads/nobody")
    assert lead["lead"]["lead_id"] == "L1"
    assert lead["lead"]["first_name"] == "Ann"
    score = lead["score"]
    assert score["verdict"]["qualifies_mql"] is True
    parts = {(p["component"], p["rule"]): p["points"] for p in score["parts"]}
    assert parts[("fit", "senior")] == 30
    assert parts[("engagement", "demo request")] == pytest.approx(40, abs=0.01)
    assert lead["owner"]["rule"] == "everyone"
    assert brief["lead_id"] == "L1"
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "NotFound"


def test_accept_then_sql_with_bant_then_an_opportunity_won(live: Served) -> None:
    make_mql(live, "L1")
    with live.client("sales") as client:
        touch = client.post("/api/v1/leads/L1/first-touch", json={"actor": "amy"})
        accepted = client.post(
            "/api/v1/leads/L1/disposition", json={"action": "accept", "note": "called Ann"}
        )
        partial = client.post(
            "/api/v1/leads/L1/qualification",
            json={"budget": "50k", "authority": "CFO", "need": "forecasting"},
        )
        sql = client.post(
            "/api/v1/leads/L1/qualification",
            json={"budget": "50k", "authority": "CFO", "need": "forecasting", "timeline": "Q3"},
        )
        opened = client.post(
            "/api/v1/opportunities",
            json={"opportunity_id": "O1", "lead_id": "L1", "stage": "Discovery", "amount": 12000},
        )
        same = client.post(
            "/api/v1/opportunities",
            json={"opportunity_id": "O1", "lead_id": "L1", "stage": "discovery", "amount": 12000},
        )
        other = client.post(
            "/api/v1/opportunities",
            json={"opportunity_id": "O1", "lead_id": "L1", "stage": "discovery", "amount": 1},
        )
        won = client.patch("/api/v1/opportunities/O1", json={"stage": "won", "amount": 15000})
        history = stages(client, "L1")
    assert touch.status_code == 200 and touch.json()["actor"] == "amy"
    assert accepted.status_code == 201
    assert (accepted.json()["from_stage"], accepted.json()["to_stage"]) == ("mql", "sal")
    assert partial.status_code == 409
    assert "missing: timeline" in partial.json()["error"]["message"]
    assert sql.status_code == 201 and sql.json()["to_stage"] == "sql"
    assert opened.status_code == 201
    assert opened.json()["account_id"] == "A1"  # from the lead
    assert opened.json()["lead_stage"] == "opportunity"
    assert same.status_code == 200  # re-sent: a no-op
    assert other.status_code == 409
    assert won.status_code == 200
    assert won.json()["closed_at"] is not None
    assert won.json()["lead_stage"] == "won"
    assert history == ["mql", "sal", "sql", "opportunity", "won"]


@pytest.mark.parametrize(
    ("body", "to_stage"),
    [
        ({"action": "reject", "reason": "bad_fit"}, "rejected"),
        ({"action": "reject", "reason": "not_now"}, "rejected"),
        ({"action": "recycle", "reason": "no_budget"}, "recycled"),
    ],
)
def test_reject_and_recycle_record_the_reason(
    live: Served, body: dict[str, str], to_stage: str
) -> None:
    make_mql(live, "L3")
    with live.client("sales") as client:
        response = client.post("/api/v1/leads/L3/disposition", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["to_stage"] == to_stage
    assert response.json()["reason"] == body["reason"]


def test_refused_moves_are_409_and_a_repeated_event_id_is_a_no_op(live: Served) -> None:
    make_mql(live, "L3")
    with live.client("sales") as client:
        unknown = client.post(
            "/api/v1/leads/L3/disposition", json={"action": "reject", "reason": "aliens"}
        )
        first = client.post(
            "/api/v1/leads/L3/disposition", json={"action": "accept", "event_id": "crm-7"}
        )
        again = client.post(
            "/api/v1/leads/L3/disposition", json={"action": "accept", "event_id": "crm-7"}
        )
        not_mql = client.post("/api/v1/leads/L2/disposition", json={"action": "accept"})
        history = stages(client, "L3")
    assert unknown.status_code == 409
    assert "aliens" in unknown.json()["error"]["message"]
    assert first.status_code == 201
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert not_mql.status_code == 409
    assert history == ["mql", "sal"]


def test_an_unknown_opportunity_is_404_and_amounts_must_be_sane(live: Served) -> None:
    with live.client("sales") as client:
        missing = client.patch("/api/v1/opportunities/nope", json={"stage": "won"})
        negative = client.post(
            "/api/v1/opportunities", json={"opportunity_id": "O2", "stage": "x", "amount": -5}
        )
    assert missing.status_code == 404
    assert negative.status_code == 422
    assert negative.json()["error"]["errors"][0]["path"] == "body.amount"
