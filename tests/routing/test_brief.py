"""The handoff brief: what a rep reads before the call, in JSON, Slack and e-mail."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from leadline.errors import NotFound
from leadline.routing import Brief, build_brief, build_briefs

from .floor import MONDAY, Floor, make_contract, minutes


def day(n: float) -> datetime:
    return MONDAY - timedelta(days=n)


@pytest.fixture
def acme(floor: Floor) -> Floor:
    """Jane at Acme asked for a demo after reading about data quality; Acme has history."""
    floor.use(make_contract(intent={"topics": ["data-quality", "pricing"], "lookback_days": 60}))
    floor.rep("R1", name="Amy Carter")
    floor.account("ACME", name="Acme Corp", industry="software", employees=2500, country="US")
    floor.insert(
        "content",
        {
            "content_id": "C1",
            "title": "Why data quality breaks forecasts",
            "url": "/blog/dq",
            "topics": ["data-quality"],
            "journey_stage": "problem",
        },
    )
    floor.insert(
        "content",
        {
            "content_id": "C2",
            "title": "Data quality buyer's guide",
            "url": "/guides/dq",
            "topics": ["data-quality"],
            "journey_stage": "solution",
        },
    )
    floor.lead("JANE", account_id="ACME", first_name="Jane", last_name="Doe", title="VP Data")
    floor.activity("JANE", "page_view", day(20), url="/blog/dq")  # content found by its URL
    floor.activity("JANE", "content_download", day(10), content_id="C2", url="/guides/dq")
    floor.activity("JANE", "page_view", day(3), url="/pricing")
    floor.activity("JANE", "page_view", day(2), url="/pricing")
    floor.activity("JANE", "email_open", day(1))  # noise: never listed
    floor.activity("JANE", "demo_request", minutes(-3), url="/demo")
    floor.lead("BOB", account_id="ACME", first_name="Bob", last_name="Ray", title="Analyst")
    floor.activity("BOB", "content_download", day(5), content_id="C1")
    floor.lead("OLD", account_id="ACME", first_name="Old", last_name="Timer")
    floor.activity("OLD", "page_view", day(400), url="/")  # outside the window: not "engaged"
    floor.insert(
        "dispositions",
        {
            "disposition_id": 1,
            "source": "crm",
            "source_event_id": "d1",
            "lead_id": "BOB",
            "action": "reject",
            "reason": "not_now",
            "actor": "r1@example.test",
            "decided_at": day(30),
        },
    )
    floor.insert(
        "opportunities",
        {
            "opportunity_id": "OPP1",
            "account_id": "ACME",
            "name": "Acme expansion",
            "stage": "negotiation",
            "amount": 48000.0,
            "created_at": day(15),
        },
    )
    floor.insert(
        "opportunities",
        {
            "opportunity_id": "OPP0",
            "account_id": "ACME",
            "name": "Acme pilot",
            "stage": "won",
            "amount": 5000.0,
            "created_at": day(300),
            "closed_at": day(250),
        },
    )
    floor.insert(
        "qualifications",
        {
            "lead_id": "JANE",
            "budget": "approved for Q3",
            "need": "forecast accuracy",
            "actor": "R1",
            "recorded_at": day(1),
        },
    )
    floor.raise_and_route(["JANE"], MONDAY)
    return floor


@pytest.fixture
def brief(acme: Floor) -> Brief:
    return build_brief(acme.engine, acme.compiled, "JANE", MONDAY)


def test_why_it_qualified_leads_with_the_hand_raise(brief: Brief) -> None:
    assert brief.verdict["qualifies_mql"] is True
    assert brief.verdict["mql_reason"] == "trigger:demo request"
    assert brief.verdict["priority"] == "A1"
    assert brief.reasons[0]["component"] == "trigger"
    rules = [r["rule"] for r in brief.reasons]
    assert "demo request" in rules and "content" in rules
    assert all(r["points"] > 0 for r in brief.reasons[1:])


def test_fit_lists_the_rules_that_matched(brief: Brief) -> None:
    assert {(f["rule"], f["points"]) for f in brief.fit} == {("software", 30), ("enterprise", 30)}
    assert brief.account is not None and brief.account["name"] == "Acme Corp"


def test_intent_says_what_they_read_not_just_how_much(brief: Brief) -> None:
    topics = {t["topic"]: t for t in brief.topics}
    assert topics["data-quality"]["activities"] == 2
    assert topics["data-quality"]["furthest_stage"] == "solution"
    titles = [a.get("title") for a in brief.activities]
    assert "Data quality buyer's guide" in titles
    assert "Why data quality breaks forecasts" in titles  # matched by URL
    assert all(a["activity_type"] != "email_open" for a in brief.activities)
    assert brief.activities[0]["activity_type"] == "demo_request"  # newest first
    assert brief.pages[0] == {"url": "/pricing", "views": 2, "last_at": day(2)}


def test_bant_gaps_are_what_sales_has_not_confirmed(brief: Brief) -> None:
    assert brief.bant["known"] == {"budget": "approved for Q3", "need": "forecast accuracy"}
    assert brief.bant["gaps"] == ["authority", "timeline"]
    assert set(brief.bant["questions"]) == {"authority", "timeline"}


def test_account_context_shows_colleagues_deals_and_past_verdicts(brief: Brief) -> None:
    assert [(c["lead_id"], c["activities"]) for c in brief.other_contacts] == [("BOB", 1)]
    assert [o["opportunity_id"] for o in brief.open_opportunities] == ["OPP1"]
    assert [(d["who"], d["action"], d["reason"]) for d in brief.past_dispositions] == [
        ("Bob Ray", "reject", "not_now")
    ]


def test_the_owner_and_sla_deadlines_are_in_the_brief(brief: Brief) -> None:
    assert brief.owner is not None
    assert (brief.owner["rep_id"], brief.owner["name"], brief.owner["rule"]) == (
        "R1",
        "Amy Carter",
        "north america",
    )
    assert {c["kind"]: c["due_at"] for c in brief.sla} == {
        "speed_to_lead": minutes(2),
        "accept": datetime(2024, 6, 4, 13, 57),
    }


def test_to_dict_is_json_serialisable(brief: Brief) -> None:
    data = brief.to_dict()
    text = json.dumps(data)
    assert data["headline"] == "A1 MQL: Jane Doe, VP Data at Acme Corp"
    assert data["bant"]["gaps"] == ["authority", "timeline"]
    assert "Data quality buyer's guide" in text
    assert data["as_of"] == "2024-06-03T14:00:00"


def test_slack_message_has_text_and_blocks(brief: Brief) -> None:
    body = brief.to_slack()
    assert body["text"].startswith("A1 MQL: Jane Doe")
    assert body["blocks"][0]["type"] == "header"
    sections = {
        b["text"]["text"].split("*")[1]: b["text"]["text"]
        for b in body["blocks"]
        if b["type"] == "section"
    }
    assert set(sections) >= {"Why now", "Owner", "Fit", "What they read", "BANT", "Account"}
    assert "Data quality buyer's guide" in sections["What they read"]
    assert "ask about authority" in sections["BANT"]
    assert "open opportunity Acme expansion" in sections["Account"]
    assert all(len(b["text"]["text"]) <= 3000 for b in body["blocks"] if "text" in b)


def test_email_has_subject_text_and_html(brief: Brief) -> None:
    subject, text, html = brief.to_email()
    assert subject == "[A1 MQL] Jane Doe, VP Data at Acme Corp — demo request"
    assert "ask about timeline" in text and "Amy Carter (R1)" in text
    assert html.startswith("<html>") and "<h3>BANT</h3>" in html


def test_what_a_lead_typed_cannot_inject_markup(floor: Floor) -> None:
    floor.rep("R1")
    floor.account("ACC", name="<b>Evil & Co</b>")
    floor.lead(
        "X", account_id="ACC", first_name="<script>", title="<@channel>", hand_raise=minutes(-1)
    )
    floor.raise_and_route(["X"], MONDAY)
    b = build_brief(floor.engine, floor.compiled, "X", MONDAY)
    _, _, html = b.to_email()
    assert "<script>" not in html and "&lt;script&gt;" in html
    slack = json.dumps(b.to_slack())
    assert "<@channel>" not in slack and "&lt;@channel&gt;" in slack
    assert "Evil &amp; Co" in slack


def test_many_briefs_come_from_the_same_queries_as_one(acme: Floor) -> None:
    acme.lead("SOLO", account_id="ACME", hand_raise=minutes(-2))
    many = build_briefs(acme.engine, acme.compiled, ["JANE", "SOLO", "missing"], MONDAY)
    assert set(many) == {"JANE", "SOLO"}
    one = build_brief(acme.engine, acme.compiled, "JANE", MONDAY)
    assert many["JANE"].to_dict() == one.to_dict()
    assert [c["lead_id"] for c in many["SOLO"].other_contacts][:2] == ["JANE", "BOB"]


def test_an_unknown_lead_has_no_brief(floor: Floor) -> None:
    with pytest.raises(NotFound):
        build_brief(floor.engine, floor.compiled, "nobody", MONDAY)
