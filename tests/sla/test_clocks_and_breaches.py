"""SLA clocks from routing to escalation: budgets by priority, first touch, breaches once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from leadline.errors import NotFound
from leadline.sla import check_sla, record_first_touch, sla_clocks, touches_of

from ..routing.floor import MONDAY, VERSION, Floor, make_contract, minutes

NOTIFY: dict[str, Any] = {
    "webhook": {"url": "http://127.0.0.1:9/hook"},
    "email": {"from": "leadline@example.test", "to": ["rep"]},
}


def clocks(floor: Floor, lead: str) -> dict[str, dict[str, Any]]:
    return {
        c["kind"]: c
        for c in floor.engine.fetch_dicts(
            "SELECT * FROM sla_clocks WHERE lead_id = ? ORDER BY clock_id", [lead]
        )
    }


def test_clocks_start_with_budgets_by_priority_grade_and_default(floor: Floor) -> None:
    floor.rep("R1")
    floor.account("BIG")
    floor.account("SMALL", employees=50)  # grade B
    floor.account("TINY", industry="retail", employees=5000)  # grade B, no trigger
    floor.lead("A1", account_id="BIG", hand_raise=minutes(-2))
    floor.lead("B1", account_id="SMALL", hand_raise=minutes(-2))
    floor.raise_and_route(["A1", "B1"], MONDAY)
    a1, b1 = clocks(floor, "A1"), clocks(floor, "B1")
    assert (a1["speed_to_lead"]["budget"], a1["speed_to_lead"]["due_at"]) == ("5m", minutes(3))
    assert (b1["speed_to_lead"]["budget"], b1["speed_to_lead"]["due_at"]) == ("1h", minutes(58))
    assert a1["accept"]["budget"] == "1d"
    assert a1["accept"]["due_at"] == datetime(2024, 6, 4, 13, 58)  # one working day later
    assert a1["speed_to_lead"]["started_at"] == minutes(-2)  # the MQL moment, not routing


def test_a_clock_runs_in_the_owners_time_zone_and_skips_weekends_and_holidays(
    floor: Floor,
) -> None:
    floor.use(make_contract(sla__holidays=["2024-06-10"]))
    floor.rep("NY", timezone="America/New_York")
    floor.account("ACC")
    friday_evening = datetime(2024, 6, 7, 20, 58)  # 16:58 in New York
    floor.lead("L1", account_id="ACC", hand_raise=friday_evening)
    floor.raise_and_route(["L1"], friday_evening + timedelta(minutes=1))
    speed = clocks(floor, "L1")["speed_to_lead"]
    assert speed["timezone"] == "America/New_York"
    # 2 minutes on Friday, Monday is a holiday, 3 minutes on Tuesday from 09:00 EDT.
    assert speed["due_at"] == datetime(2024, 6, 11, 13, 3)


def test_a_rep_with_an_unknown_time_zone_uses_the_contract_zone(floor: Floor) -> None:
    floor.rep("R1", timezone="Mars/Olympus")
    floor.account("ACC")
    floor.lead("L1", account_id="ACC", hand_raise=minutes(-1))
    floor.raise_and_route(["L1"], MONDAY)
    assert clocks(floor, "L1")["speed_to_lead"]["timezone"] == "UTC"


def test_the_first_touch_stops_the_speed_clock_in_time(floor: Floor) -> None:
    floor.rep("R1")
    floor.account("ACC")
    floor.lead("L1", account_id="ACC", hand_raise=minutes(-1))
    floor.raise_and_route(["L1"], MONDAY)
    record_first_touch(floor.engine, "L1", minutes(2), "R1")
    record_first_touch(floor.engine, "L1", minutes(30), "R1")  # later touches change nothing
    speed = clocks(floor, "L1")["speed_to_lead"]
    assert (speed["stopped_at"], speed["stopped_by"]) == (minutes(2), "first_touch")
    assert check_sla(floor.engine, floor.compiled, minutes(120), version=VERSION) == []
    states = {c["kind"]: c["state"] for c in sla_clocks(floor.engine, minutes(120))}
    assert states == {"speed_to_lead": "met", "accept": "open"}
    assert [t["actor"] for t in touches_of(floor.engine, "L1")] == ["R1", "R1"]


def test_touching_an_unknown_lead_is_an_error(floor: Floor) -> None:
    with pytest.raises(NotFound):
        record_first_touch(floor.engine, "nobody", MONDAY, "R1")


def test_a_breach_is_recorded_once(floor: Floor) -> None:
    floor.rep("R1")
    floor.account("ACC")
    floor.lead("L1", account_id="ACC", hand_raise=minutes(-1))
    floor.raise_and_route(["L1"], MONDAY)
    assert check_sla(floor.engine, floor.compiled, minutes(3), version=VERSION) == []
    found = check_sla(floor.engine, floor.compiled, minutes(10), version=VERSION)
    assert [(b.lead_id, b.kind, b.due_at, b.action) for b in found] == [
        ("L1", "speed_to_lead", minutes(4), "recorded")  # no channels configured
    ]
    assert found[0].overdue_seconds == 6 * 60
    assert check_sla(floor.engine, floor.compiled, minutes(11), version=VERSION) == []
    assert floor.engine.scalar("SELECT count(*) FROM sla_breaches") == 1
    assert clocks(floor, "L1")["speed_to_lead"]["breached_at"] == minutes(10)


def test_a_late_touch_is_a_breach_but_nothing_is_escalated(floor: Floor) -> None:
    floor.use(make_contract(routing__notify=NOTIFY))
    floor.rep("R1")
    floor.account("ACC")
    floor.lead("L1", account_id="ACC", hand_raise=minutes(-1))
    floor.raise_and_route(["L1"], MONDAY)
    queued = floor.engine.scalar("SELECT count(*) FROM outbox")
    record_first_touch(floor.engine, "L1", minutes(20), "R1")
    found = check_sla(floor.engine, floor.compiled, minutes(30), version=VERSION)
    assert [(b.kind, b.late, b.action, b.stopped_at) for b in found] == [
        ("speed_to_lead", True, "recorded", minutes(20))
    ]
    assert floor.engine.scalar("SELECT count(*) FROM outbox") == queued


def test_sales_verdict_stops_both_clocks(floor: Floor) -> None:
    floor.rep("R1")
    floor.account("ACC")
    floor.lead("L1", account_id="ACC", hand_raise=minutes(-1))
    floor.raise_and_route(["L1"], MONDAY)
    floor.insert(
        "stage_history",
        {
            "transition_id": 9001,
            "lead_id": "L1",
            "from_stage": "mql",
            "to_stage": "rejected",
            "changed_at": minutes(2),
            "actor": "R1",
            "reason": "bad_fit",
            "source": "disposition",
            "contract_version": VERSION,
            "disposition_id": 1,
        },
    )
    assert check_sla(floor.engine, floor.compiled, minutes(3000), version=VERSION) == []
    stopped = {k: (c["stopped_at"], c["stopped_by"]) for k, c in clocks(floor, "L1").items()}
    assert stopped == {
        "speed_to_lead": (minutes(2), "disposition:rejected"),
        "accept": (minutes(2), "disposition:rejected"),
    }


def test_escalation_tells_the_manager_on_every_configured_channel(floor: Floor) -> None:
    floor.use(
        make_contract(
            routing__notify=NOTIFY,
            sla__escalation={"managers": {"Morgan Manager": "morgan@example.test"}},
        )
    )
    floor.rep("R1")
    floor.account("ACC")
    floor.lead("L1", account_id="ACC", hand_raise=minutes(-1))
    floor.raise_and_route(["L1"], MONDAY)
    found = check_sla(floor.engine, floor.compiled, minutes(10), version=VERSION)
    assert [(b.action, b.escalated_to) for b in found] == [("notified", "morgan@example.test")]
    rows = floor.engine.fetch_dicts(
        "SELECT channel, CAST(target AS VARCHAR) AS target, CAST(payload AS VARCHAR) AS payload "
        "FROM outbox WHERE kind = 'sla_escalation' ORDER BY notification_id"
    )
    assert [r["channel"] for r in rows] == ["webhook", "email"]
    hook, mail = json.loads(rows[0]["payload"]), json.loads(rows[1]["payload"])
    assert "SLA breach — speed to lead" in hook["text"] and "Rep R1" in hook["text"]
    assert "6m overdue" in hook["text"]
    assert json.loads(rows[1]["target"])["to"] == ["morgan@example.test"]
    assert mail["subject"].startswith("[SLA breach] speed to lead")


@pytest.mark.parametrize(
    ("manager", "managers", "expected"),
    [
        ("Morgan Manager", {"Morgan Manager": "m@example.test"}, "m@example.test"),
        ("BOSS", {}, "boss@example.test"),  # the manager is a rep
        ("chief@example.test", {}, "chief@example.test"),  # an address
        ("Someone Unknown", {}, "sales-ops@example.test"),  # contract owner as fallback
    ],
)
def test_the_manager_is_found_by_map_rep_address_or_fallback(
    floor: Floor, manager: str, managers: dict[str, str], expected: str
) -> None:
    floor.use(make_contract(routing__notify=NOTIFY, sla__escalation={"managers": managers}))
    floor.rep("R1", manager=manager)
    floor.rep("BOSS", team="lead", region="hq", email="boss@example.test")
    floor.account("ACC")
    floor.lead("L1", account_id="ACC", hand_raise=minutes(-1))
    floor.raise_and_route(["L1"], MONDAY)
    found = check_sla(floor.engine, floor.compiled, minutes(10), version=VERSION)
    assert found[0].escalated_to == expected


def test_a_speed_breach_can_reassign_once(floor: Floor) -> None:
    floor.use(
        make_contract(
            routing__notify=NOTIFY,
            sla__escalation={"reassign": True, "notify": ["webhook"]},
        )
    )
    floor.rep("R1")
    floor.rep("R2")
    floor.account("ACC")
    floor.lead("L1", account_id="ACC", hand_raise=minutes(-1))
    first = floor.raise_and_route(["L1"], MONDAY)["L1"]
    assert first.rep_id == "R1"
    found = check_sla(floor.engine, floor.compiled, minutes(10), version=VERSION)
    assert [(b.action, b.rep_id, b.new_rep_id) for b in found] == [("reassigned", "R1", "R2")]
    owner = floor.engine.fetch_dicts(
        "SELECT rep_id, rule, replaces, reason FROM assignments ORDER BY assignment_id DESC"
    )[0]
    assert owner == {
        "rep_id": "R2",
        "rule": "north america",
        "replaces": first.assignment_id,
        "reason": "sla_breach",
    }
    by_rep = {
        (c["rep_id"], c["kind"]): (c["state"], c["due_at"])
        for c in sla_clocks(floor.engine, minutes(10))
    }
    assert by_rep[("R1", "accept")][0] == "handed_over"
    assert by_rep[("R2", "speed_to_lead")] == ("open", minutes(15))  # fresh 5 minutes from now
    kinds = floor.engine.fetch("SELECT kind, count(*) FROM outbox GROUP BY kind ORDER BY kind")
    assert kinds == [("mql_reassigned", 2), ("mql_routed", 2), ("sla_escalation", 1)]
    # R2 misses it too: recorded and escalated, but not passed on again.
    again = check_sla(floor.engine, floor.compiled, minutes(30), version=VERSION)
    assert [(b.rep_id, b.action) for b in again] == [("R2", "notified")]
