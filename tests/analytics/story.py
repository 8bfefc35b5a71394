"""The story world most report tests read (every figure below is worked out by hand).

=====  =======  =========  ======================================  ===========================
lead   channel  created    stage moves                             deals
=====  =======  =========  ======================================  ===========================
L1     paid     Jan 05     mql Jan10, sal Jan12, opp Jan20, won    O1 1000 won (Jan20 → Mar01)
                           Mar01
L2     paid     Jan 06     mql Jan11, rejected Jan15 (bad_fit)
L3     organic  Feb 01     opp Feb01 (skipped MQL: CRM)            O2 500 open (Feb01)
L4     organic  Feb 02     —
L5     events   Feb 01     mql Feb02, sal Feb03, sql Feb05,        O3 300 lost (Feb06 → Mar05,
                           opp Feb06, lost Mar05                   loss_reason price)
L6     organic  Jan 07     merged into L4 (never counted)
=====  =======  =========  ======================================  ===========================

Touches: L1 ← A Jan01, B Jan05, C Jan10, D Jan25 (after O1 opened: no credit); L5 ← E Feb01.
Campaign costs: P (paid) 3100 for January; V (events) 600 for February; A–E cost nothing.
"""

from __future__ import annotations

from leadline.store.base import Engine

from .world import World


def tell(engine: Engine) -> World:
    """Write the story world (the table above) into ``engine``."""
    w = World(engine)
    w.campaign("P", "paid", ("2026-01-01", "2026-01-31", 3100.0))
    w.campaign("V", "events", ("2026-02-01", "2026-02-28", 600.0))
    for c, channel in (
        ("A", "paid"),
        ("B", "organic"),
        ("C", "paid"),
        ("D", "email"),
        ("E", "events"),
    ):
        w.campaign(c, channel)
    w.lead("L1", channel="paid", campaign="P", created="2026-01-05", source="Ads")
    w.lead("L2", channel="paid", campaign="P", created="2026-01-06", source="Ads")
    w.lead("L3", channel="organic", created="2026-02-01", source="Web form")
    w.lead("L4", channel="organic", created="2026-02-02", source="Web form")
    w.lead("L5", channel="events", campaign="V", created="2026-02-01", source="Badge scan")
    w.lead("L6", channel="organic", created="2026-01-07", merged_into="L4")
    w.moves(
        "L1",
        ("mql", "2026-01-10"),
        ("sal", "2026-01-12"),
        ("opportunity", "2026-01-20"),
        ("won", "2026-03-01"),
    )
    w.moves("L2", ("mql", "2026-01-11"), ("rejected", "2026-01-15"))
    w.moves("L3", ("opportunity", "2026-02-01"))
    w.moves(
        "L5",
        ("mql", "2026-02-02"),
        ("sal", "2026-02-03"),
        ("sql", "2026-02-05"),
        ("opportunity", "2026-02-06"),
        ("lost", "2026-03-05"),
    )
    w.opp(
        "O1",
        "L1",
        1000,
        created="2026-01-20",
        stage="won",
        closed="2026-03-01",
        product="Core",
        owner="R1",
    )
    w.opp("O2", "L3", 500, created="2026-02-01", product="Growth", owner="R2")
    w.opp(
        "O3",
        "L5",
        300,
        created="2026-02-06",
        stage="lost",
        closed="2026-03-05",
        product="Core",
        owner="R1",
        attributes={"loss_reason": "price"},
    )
    for campaign, when in (
        ("A", "2026-01-01"),
        ("B", "2026-01-05"),
        ("C", "2026-01-10"),
        ("D", "2026-01-25"),
    ):
        w.touch("L1", campaign, when)
    w.touch("L5", "E", "2026-02-01")
    w.rep("R1", "Rita One", "rita@vendor.example")
    w.rep("R2", "Sam Two", "sam@vendor.example")
    w.disposition("L1", "accept", "2026-01-12", actor="rita@vendor.example")
    w.disposition("L2", "reject", "2026-01-15", reason="bad_fit", actor="sam@vendor.example")
    w.disposition("L5", "accept", "2026-02-03", actor="rita@vendor.example")
    return w
