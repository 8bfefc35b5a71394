"""Ingest over real HTTP: activities and leads, single and batch, idempotent, validated."""

from __future__ import annotations

from typing import Any

import pytest

from leadline.app import Leadline

from .conftest import Served


def activity(event_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "source": "web",
        "source_event_id": event_id,
        "lead_id": "L2",
        "activity_type": "page_view",
        "occurred_at": "2026-02-01T09:00:00Z",
        "url": "/blog/x",
        **fields,
    }


def test_an_activity_is_stored_once_and_resending_it_is_a_reported_no_op(live: Served) -> None:
    with live.client("marketing") as client:
        first = client.post("/api/v1/activities", json=activity("e1"))
        again = client.post("/api/v1/activities", json=activity("e1"))
    assert first.status_code == 201
    assert first.json()["status"] == "accepted"
    assert first.json()["verdict"]["snapshot"]["lead_id"] == "L2"
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert again.json()["event"]["message"] == "already stored"
    with Leadline.open(live.workspace) as ll:
        assert ll.engine.fetch(
            "SELECT count(*) FROM activities WHERE source = 'web' AND source_event_id = 'e1'"
        ) == [(1,)]


def test_a_batch_reports_each_item_and_stores_only_the_new_ones(live: Served) -> None:
    items = [
        activity("b1"),
        activity("b2", lead_id=None, email="ANN@acme.example", activity_type="Page View"),
        activity("b1"),  # repeats item 0
        activity("b3", lead_id="nobody"),
    ]
    with live.client("marketing") as client:
        client.post("/api/v1/activities", json=activity("b2", lead_id="L1"))  # stored before
        body = client.post("/api/v1/activities/batch", json={"items": items}).json()
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (1, 2, 1)
    statuses = [(i["index"], i["status"], i["lead_id"]) for i in body["items"]]
    assert statuses == [
        (0, "accepted", "L2"),
        (1, "duplicate", "L1"),  # email resolved to the lead; (web, b2) already stored
        (2, "duplicate", "L2"),
        (3, "rejected", None),
    ]
    assert body["items"][2]["message"] == "repeats an earlier event in this batch"
    assert body["items"][3]["field"] == "lead_id"
    assert "nobody" in body["items"][3]["message"]
    assert [v["lead_id"] for v in body["verdicts"]] == ["L2"]


def test_an_event_for_an_unknown_lead_is_a_422_naming_the_field(live: Served) -> None:
    with live.client("marketing") as client:
        response = client.post(
            "/api/v1/activities", json=activity("u1", lead_id=None, email="who@x.example")
        )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "InvalidRequest"
    assert error["errors"] == [
        {"path": "body.email", "message": "no lead 'who@x.example' in the store", "type": "invalid"}
    ]


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"activity_type": "teleport"}, "body.activity_type", "unknown activity type 'teleport'"),
        ({"occurred_at": "yesterday"}, "body.occurred_at", "datetime"),
        ({"lead_id": None}, "body", "give lead_id or email"),
        ({"source_event_id": ""}, "body.source_event_id", "at least 1 character"),
        ({"email": "not-an-email", "lead_id": None}, "body.email", "is not an email address"),
        ({"value": "NaN"}, "body.value", "finite"),
        ({"surprise": 1}, "body.surprise", "Extra inputs"),
        ({"url": "a\u0000b"}, "body.url", "NUL"),
    ],
)
def test_bad_input_is_a_422_with_field_level_errors(
    live: Served, change: dict[str, Any], path: str, words: str
) -> None:
    with live.client("marketing") as client:
        response = client.post("/api/v1/activities", json=activity("bad", **change))
    assert response.status_code == 422
    problems = response.json()["error"]["errors"]
    assert any(p["path"] == path and words.lower() in p["message"].lower() for p in problems), (
        problems
    )


def test_a_batch_with_one_bad_item_is_refused_whole_naming_the_item(live: Served) -> None:
    items = [activity("ok"), activity("bad", occurred_at="soon")]
    with live.client("marketing") as client:
        response = client.post("/api/v1/activities/batch", json={"items": items})
    assert response.status_code == 422
    assert response.json()["error"]["errors"][0]["path"] == "body.items[1].occurred_at"
    with Leadline.open(live.workspace) as ll:
        assert ll.engine.scalar("SELECT count(*) FROM activities WHERE source_event_id = 'ok'") == 0


def test_leads_are_created_updated_merged_or_rejected_through_the_import_checks(
    live: Served,
) -> None:
    items = [
        {"lead_id": "N1", "email": "Nia@Acme.example", "title": "VP Sales", "account_id": "A1"},
        {"lead_id": "L2", "email": "bob@globex.example", "title": "Head of Analytics"},
        {"lead_id": "N2", "email": "ann@acme.example"},  # Ann already is L1
        {"lead_id": "N3", "created_at": "2026-01-01", "country": "Germany"},
        {"lead_id": "L3", "email": "cy@acme.example", "first_name": "Cy"},
    ]
    with live.client("marketing") as client:
        body = client.post("/api/v1/leads/batch", json={"items": items}).json()
        again = client.post("/api/v1/leads", json=items[0])
    assert [(i["lead_id"], i["status"], i["survivor"]) for i in body["items"]] == [
        ("N1", "created", "N1"),
        ("L2", "updated", "L2"),
        ("N2", "merged", "L1"),
        ("N3", "created", "N3"),
        ("L3", "updated", "L3"),
    ]
    assert again.status_code == 200
    assert again.json()["result"]["status"] == "unchanged"
    with Leadline.open(live.workspace) as ll:
        row = ll.engine.fetch_dicts(
            "SELECT email, seniority, email_domain FROM leads WHERE lead_id = 'N1'"
        )[0]
        country = ll.engine.scalar("SELECT country FROM leads WHERE lead_id = 'N3'")
        versions = ll.engine.scalar(
            "SELECT count(*) FROM entity_versions WHERE entity = 'leads' AND entity_id = 'L2'"
        )
    assert row == {"email": "nia@acme.example", "seniority": "vp", "email_domain": "acme.example"}
    assert country == "DE"
    assert versions == 1  # the old version of L2 was kept
    # every lead that was stored got a fresh verdict from the real-time path
    assert {v["lead_id"] for v in body["verdicts"]} == {"N1", "L2", "L1", "N3", "L3"}


def test_a_lead_the_import_rejects_is_reported_with_the_reason(live: Served) -> None:
    twice = [{"lead_id": "Z", "email": "z@globex.example"}, {"lead_id": "Z", "title": "CEO"}]
    with live.client("marketing") as client:
        batch = client.post("/api/v1/leads/batch", json={"items": twice}).json()
        typed = client.post("/api/v1/leads", json={"lead_id": "Z", "created_at": "not a date"})
        clash = client.post("/api/v1/leads", json={"lead_id": "Z", "attributes": {"email": "x"}})
    assert [i["status"] for i in batch["items"]] == ["created", "rejected"]
    assert batch["items"][1]["field"] == "lead_id"
    assert "already appears" in batch["items"][1]["message"]
    assert typed.status_code == 422
    assert typed.json()["error"]["errors"][0]["path"] == "body.created_at"
    assert clash.status_code == 422
    assert "lead fields" in clash.json()["error"]["errors"][0]["message"]


def test_custom_attributes_are_kept_and_a_new_lead_is_scored_at_once(live: Served) -> None:
    with live.client("marketing") as client:
        lead = client.post(
            "/api/v1/leads",
            json={"lead_id": "N5", "title": "CIO", "account_id": "A1", "attributes": {"tier": 2}},
        ).json()
    assert lead["result"]["status"] == "created"
    assert lead["verdict"]["snapshot"]["grade"] == "A"
    with Leadline.open(live.workspace) as ll:
        attrs = ll.engine.scalar("SELECT CAST(attributes AS VARCHAR) FROM leads WHERE lead_id='N5'")
    assert '"tier":"2"' in attrs.replace(" ", "")
