"""Routing from many threads at once (API workers): one owner per MQL, fair turns."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from leadline.routing import Assignment

from .floor import MONDAY, Floor, minutes


def test_the_same_mql_routed_by_many_threads_gets_one_owner(floor: Floor) -> None:
    floor.rep("R1")
    floor.rep("R2")
    floor.account("ACC")
    floor.lead("L1", account_id="ACC", hand_raise=minutes(-1))
    floor.qualify(MONDAY)
    floor.compiled  # compile once, outside the threads  # noqa: B018
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: floor.route(["L1"], MONDAY), range(16)))
    made: list[Assignment] = [a for r in results for a in r]
    assert len(made) == 1
    assert floor.engine.scalar("SELECT count(*) FROM assignments") == 1
    assert floor.engine.scalar("SELECT count(*) FROM outbox") == 0  # no channels configured
    assert floor.engine.scalar("SELECT count(*) FROM sla_clocks") == 2


def test_many_mqls_routed_at_once_take_fair_turns(floor: Floor) -> None:
    for rep in ("R1", "R2", "R3"):
        floor.rep(rep, capacity=100)
    floor.account("ACC")
    leads = [f"L{i:02d}" for i in range(12)]
    for lead in leads:
        floor.lead(lead, account_id="ACC", hand_raise=minutes(-1))
    floor.qualify(MONDAY)
    floor.compiled  # noqa: B018
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda lead: floor.route([lead], MONDAY), leads))
    per_rep = floor.engine.fetch("SELECT rep_id, count(*) FROM assignments GROUP BY 1 ORDER BY 1")
    assert per_rep == [("R1", 4), ("R2", 4), ("R3", 4)]
    assert floor.engine.scalar("SELECT count(DISTINCT lead_id) FROM assignments") == 12
