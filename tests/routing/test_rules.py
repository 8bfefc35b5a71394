"""Who gets an MQL: the contract's routing rules, capacity, working hours, round robin."""

from __future__ import annotations

from datetime import datetime

from leadline.routing import owner_of, route_mqls

from .floor import MONDAY, VERSION, Floor, make_contract, minutes


def test_the_account_owner_comes_first(floor: Floor) -> None:
    floor.rep("R1")
    floor.rep("AE1", team="ae")
    floor.account("ACC1", owner="AE1")
    floor.account("ACC2")
    floor.lead("L1", account_id="ACC1", hand_raise=minutes(-10))
    floor.lead("L2", account_id="ACC2", hand_raise=minutes(-10))
    routed = floor.raise_and_route(["L1", "L2"], MONDAY)
    assert (routed["L1"].rep_id, routed["L1"].rule) == ("AE1", "account owner")
    assert (routed["L2"].rep_id, routed["L2"].rule) == ("R1", "north america")


def test_an_owner_named_by_email_is_found_and_inactive_owners_are_skipped(floor: Floor) -> None:
    floor.rep("R1")
    floor.rep("AE1", team="ae", email="ae.one@example.test")
    floor.rep("AE2", team="ae", active=False)
    floor.account("ACC1", owner="AE.One@example.test")
    floor.account("ACC2", owner="AE2")
    floor.lead("L1", account_id="ACC1", hand_raise=minutes(-10))
    floor.lead("L2", account_id="ACC2", hand_raise=minutes(-10))
    routed = floor.raise_and_route(["L1", "L2"], MONDAY)
    assert routed["L1"].rep_id == "AE1"
    assert (routed["L2"].rep_id, routed["L2"].rule) == ("R1", "north america")


def test_territory_rules_match_lead_and_account_fields(floor: Floor) -> None:
    floor.rep("NA1", region="na")
    floor.rep("EU1", region="emea")
    floor.use(
        make_contract(
            routing__rules=[
                {
                    "name": "emea",
                    "when": [{"field": "account.country", "in": ["DE", "FR"]}],
                    "round_robin": {"region": ["EMEA"]},
                },
                {
                    "name": "germans by title",
                    "when": [{"field": "lead.title", "matches": "(?i)geschäftsführer"}],
                    "round_robin": {"reps": ["EU1"]},
                },
                {"name": "rest", "round_robin": {"reps": ["NA1"]}},
            ]
        )
    )
    floor.account("DE1", country="DE")
    floor.account("US1", country="US")
    floor.lead("L-DE", account_id="DE1", hand_raise=minutes(-5))
    floor.lead("L-US", account_id="US1", hand_raise=minutes(-5))
    floor.lead("L-T", account_id="US1", title="Geschäftsführer", hand_raise=minutes(-5))
    routed = floor.raise_and_route(["L-DE", "L-US", "L-T"], MONDAY)
    assert {k: (a.rep_id, a.rule) for k, a in routed.items()} == {
        "L-DE": ("EU1", "emea"),
        "L-US": ("NA1", "rest"),
        "L-T": ("EU1", "germans by title"),
    }


def test_priority_rules_send_the_best_mqls_to_the_senior_pool(floor: Floor) -> None:
    floor.rep("AE1", team="ae")
    floor.rep("R1")
    floor.use(
        make_contract(
            routing__rules=[
                {"name": "hot", "priority": ["A1"], "round_robin": {"team": ["ae"]}},
                {"name": "rest", "round_robin": {"team": ["sdr"]}},
            ]
        )
    )
    floor.account("BIG", employees=5000)  # software + enterprise: grade A
    floor.account("SMALL", employees=50)  # software only: grade B
    floor.lead("A", account_id="BIG", hand_raise=minutes(-5))
    floor.lead("B", account_id="SMALL", hand_raise=minutes(-5))
    routed = floor.raise_and_route(["A", "B"], MONDAY)
    assert (routed["A"].priority, routed["A"].rep_id, routed["A"].rule) == ("A1", "AE1", "hot")
    assert (routed["B"].priority, routed["B"].rep_id, routed["B"].rule) == ("B1", "R1", "rest")


def test_round_robin_is_deterministic_and_continues_across_batches(floor: Floor) -> None:
    for rep in ("R3", "R1", "R2"):
        floor.rep(rep)
    floor.account("ACC")
    first = [f"L{i}" for i in range(1, 5)]
    for lead in first:
        floor.lead(lead, account_id="ACC", hand_raise=minutes(-30))
    routed = floor.raise_and_route(first, MONDAY)
    # Equal priority and MQL time: served by lead id, reps take turns in id order.
    assert [routed[x].rep_id for x in first] == ["R1", "R2", "R3", "R1"]
    pointer = floor.engine.fetch("SELECT rule, last_rep_id FROM routing_pointers")
    assert pointer == [("north america", "R1")]
    second = ["L5", "L6"]
    for lead in second:
        floor.lead(lead, account_id="ACC", hand_raise=minutes(1))
    routed = floor.raise_and_route(second, minutes(2))
    assert [routed[x].rep_id for x in second] == ["R2", "R3"]


def test_one_at_a_time_gives_the_same_turns_as_one_batch(floor: Floor) -> None:
    for rep in ("R1", "R2", "R3"):
        floor.rep(rep)
    floor.account("ACC")
    leads = [f"L{i}" for i in range(1, 6)]
    got = []
    for i, lead in enumerate(leads):
        floor.lead(lead, account_id="ACC", hand_raise=minutes(i))
        got += [a.rep_id for a in floor.raise_and_route([lead], minutes(i + 0.5)).values()]
    assert got == ["R1", "R2", "R3", "R1", "R2"]


def test_capacity_counts_open_mqls_and_overflows_to_the_next_rule(floor: Floor) -> None:
    floor.rep("R1", capacity=2)
    floor.rep("R2", capacity=1)
    floor.rep("EU1", region="emea", capacity=10)
    floor.account("ACC")
    leads = [f"L{i}" for i in range(1, 6)]
    for lead in leads:
        floor.lead(lead, account_id="ACC", hand_raise=minutes(-30))
    routed = floor.raise_and_route(leads, MONDAY)
    by_rep = [(routed[x].rep_id, routed[x].rule) for x in leads]
    assert by_rep == [
        ("R1", "north america"),
        ("R2", "north america"),
        ("R1", "north america"),
        ("EU1", "everyone"),
        ("EU1", "everyone"),
    ]
    # An accepted MQL is no longer open: its rep has room again.
    floor.insert(
        "stage_history",
        {
            "transition_id": 9001,
            "lead_id": "L1",
            "from_stage": "mql",
            "to_stage": "sal",
            "changed_at": minutes(5),
            "actor": "R1",
            "source": "disposition",
            "contract_version": VERSION,
        },
    )
    floor.lead("L6", account_id="ACC", hand_raise=minutes(6))
    assert floor.raise_and_route(["L6"], minutes(7))["L6"].rep_id == "R1"


def test_reps_at_work_are_preferred_and_off_hours_reps_take_the_rest(floor: Floor) -> None:
    floor.rep("NY", timezone="America/New_York")  # 10:00 in New York
    floor.rep("SYD", timezone="Australia/Sydney")  # midnight in Sydney
    floor.account("ACC")
    leads = ["L1", "L2", "L3"]
    for lead in leads:
        floor.lead(lead, account_id="ACC", hand_raise=minutes(-5))
    routed = floor.raise_and_route(leads, MONDAY)
    assert all(routed[x].rep_id == "NY" for x in leads)
    assert not any(a.off_hours for a in routed.values())


def test_working_hours_only_skips_reps_who_are_off(floor: Floor) -> None:
    floor.rep("SYD", timezone="Australia/Sydney")
    floor.rep("LATE", region="emea", timezone="Asia/Tokyo")
    floor.account("ACC")
    floor.lead("L1", account_id="ACC", hand_raise=minutes(-5))
    strict = make_contract(
        routing__rules=[
            {"name": "na now", "round_robin": {"reps": ["SYD"]}, "working_hours_only": True},
            {"name": "anyone", "round_robin": {"reps": ["LATE"]}},
        ]
    )
    routed = floor.use(strict).raise_and_route(["L1"], MONDAY)
    assert (routed["L1"].rep_id, routed["L1"].rule, routed["L1"].off_hours) == (
        "LATE",
        "anyone",
        True,
    )


def test_no_eligible_rep_is_recorded_once_as_unassigned_then_retried(floor: Floor) -> None:
    floor.account("ACC")
    floor.lead("L1", account_id="ACC", hand_raise=minutes(-5))
    routed = floor.raise_and_route(["L1"], MONDAY)
    assert (routed["L1"].rep_id, routed["L1"].rule) == (None, "unassigned")
    assert floor.route(["L1"], minutes(1)) == []  # still nobody: not recorded twice
    floor.rep("R1")
    again = floor.route(["L1"], minutes(2))
    assert [(a.rep_id, a.rule, a.replaces) for a in again] == [
        ("R1", "north america", routed["L1"].assignment_id)
    ]
    assert owner_of(floor.engine, "L1") is not None
    assert owner_of(floor.engine, "L1")["rep_id"] == "R1"  # type: ignore[index]


def test_a_fallback_rep_takes_what_no_rule_placed(floor: Floor) -> None:
    floor.rep("BOSS", team="management", region="hq")
    floor.use(make_contract(routing__fallback="BOSS"))
    floor.account("ACC", country="BR")
    floor.lead("L1", account_id="ACC", hand_raise=minutes(-5))
    routed = floor.raise_and_route(["L1"], MONDAY)
    assert (routed["L1"].rep_id, routed["L1"].rule) == ("BOSS", "fallback")


def test_routing_is_idempotent_and_ignores_leads_that_are_not_mqls(floor: Floor) -> None:
    floor.rep("R1")
    floor.account("ACC")
    floor.lead("HOT", account_id="ACC", hand_raise=minutes(-5))
    floor.lead("COLD", account_id="ACC")
    floor.activity("COLD", "page_view", minutes(-5), url="/")
    first = floor.raise_and_route(["HOT", "COLD", "nobody"], MONDAY)
    assert set(first) == {"HOT"}
    assert floor.route(["HOT", "COLD"], minutes(1)) == []
    assert floor.engine.scalar("SELECT count(*) FROM assignments") == 1
    assert floor.engine.scalar("SELECT count(*) FROM sla_clocks") == 2


def test_a_merged_lead_routes_its_survivor(floor: Floor) -> None:
    floor.rep("R1")
    floor.account("ACC")
    floor.lead("SURVIVOR", account_id="ACC", hand_raise=minutes(-5))
    floor.lead("DUP", account_id="ACC", merged_into="SURVIVOR")
    floor.qualify(MONDAY)
    routed = floor.route(["DUP"], MONDAY)
    assert [a.lead_id for a in routed] == ["SURVIVOR"]
    assert owner_of(floor.engine, "DUP")["lead_id"] == "SURVIVOR"  # type: ignore[index]


def test_every_assignment_stores_its_rule_version_and_mql(floor: Floor) -> None:
    floor.rep("R1")
    floor.account("ACC")
    floor.lead("L1", account_id="ACC", hand_raise=minutes(-5))
    floor.raise_and_route(["L1"], MONDAY)
    row = floor.engine.fetch_dicts(
        "SELECT a.rule, a.contract_version, a.mql_at, a.assigned_at, h.to_stage "
        "FROM assignments AS a JOIN stage_history AS h ON h.transition_id = a.mql_transition_id"
    )[0]
    assert row == {
        "rule": "north america",
        "contract_version": VERSION,
        "mql_at": minutes(-5),
        "assigned_at": MONDAY,
        "to_stage": "mql",
    }


def test_a_big_batch_is_routed_in_a_fixed_number_of_statements(floor: Floor) -> None:
    for i in range(5):
        floor.rep(f"R{i}", capacity=100)
    floor.account("ACC")
    leads = [f"L{i:03d}" for i in range(200)]
    for lead in leads:
        floor.lead(lead, account_id="ACC", hand_raise=minutes(-60))
    floor.qualify(MONDAY)
    calls = 0
    execute, fetch = floor.engine.execute, floor.engine.fetch

    def count_execute(*args: object, **kw: object) -> None:
        nonlocal calls
        calls += 1
        execute(*args, **kw)  # type: ignore[arg-type]

    def count_fetch(*args: object, **kw: object) -> list[tuple[object, ...]]:
        nonlocal calls
        calls += 1
        return fetch(*args, **kw)  # type: ignore[arg-type]

    floor.engine.execute = count_execute  # type: ignore[method-assign]
    floor.engine.fetch = count_fetch  # type: ignore[method-assign]
    routed = floor.route(leads, MONDAY)
    assert len(routed) == 200
    assert calls < 60, f"{calls} statements for 200 leads: a per-lead loop crept in"
    per_rep = floor.engine.fetch("SELECT rep_id, count(*) FROM assignments GROUP BY 1 ORDER BY 1")
    assert per_rep == [(f"R{i}", 40) for i in range(5)]


def test_without_a_routing_section_nothing_is_routed(floor: Floor) -> None:
    floor.rep("R1")
    floor.account("ACC")
    floor.lead("L1", account_id="ACC", hand_raise=minutes(-5))
    floor.use(make_contract(routing=None)).qualify(MONDAY)
    assert route_mqls(floor.engine, floor.compiled, VERSION, ["L1"], MONDAY) == []


def test_assignment_to_dict_is_plain_json(floor: Floor) -> None:
    floor.rep("R1")
    floor.account("ACC")
    floor.lead("L1", account_id="ACC", hand_raise=datetime(2024, 6, 3, 13, 55))
    a = floor.raise_and_route(["L1"], MONDAY)["L1"]
    data = a.to_dict()
    assert data["lead_id"] == "L1" and data["rep_id"] == "R1"
    assert data["assigned_at"] == "2024-06-03T14:00:00"
    assert data["rule"] == "north america"


def test_given_snapshots_are_used_and_missing_leads_are_scored_now(floor: Floor) -> None:
    floor.use(make_contract(routing__notify={"webhook": {"url": "http://127.0.0.1:9/x"}}))
    floor.rep("AE1", team="ae")
    floor.rep("R1")
    floor.account("ACC")
    floor.lead("GIVEN", account_id="ACC", hand_raise=minutes(-5))
    floor.lead("SCORED", account_id="ACC", hand_raise=minutes(-5))
    floor.qualify(MONDAY)
    # A caller's snapshot rows (twice, as a live table may hold them) say GIVEN is a D4.
    floor.engine.execute("DROP TABLE IF EXISTS _t_given")
    floor.engine.execute(
        "CREATE TEMP TABLE _t_given AS SELECT * FROM _t_snap WHERE lead_id = 'GIVEN' "
        "UNION ALL SELECT * FROM _t_snap WHERE lead_id = 'GIVEN'"
    )
    floor.engine.execute("UPDATE _t_given SET priority = 'D4', grade = 'D'")
    floor.use(
        make_contract(
            routing__notify={"webhook": {"url": "http://127.0.0.1:9/x"}},
            routing__rules=[
                {"name": "cold", "priority": ["D4"], "round_robin": {"reps": ["R1"]}},
                {"name": "rest", "round_robin": {"team": ["ae"]}},
            ],
        )
    )
    routed = route_mqls(
        floor.engine, floor.compiled, VERSION, ["GIVEN", "SCORED"], MONDAY, snapshots="_t_given"
    )
    assert sorted((a.lead_id, a.priority, a.rep_id, len(a.notifications)) for a in routed) == [
        ("GIVEN", "D4", "R1", 1),
        ("SCORED", "A1", "AE1", 1),  # not in the given rows: scored now with the plan
    ]
