"""The real-time path without HTTP: storing events, re-scoring, moving, routing, grouping."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest

from leadline.contract.compiler import compile_contract
from leadline.contract.schema import Contract
from leadline.lifecycle.history import history_of
from leadline.realtime.events import Event, store_events
from leadline.realtime.qualify import LivePlan, requalify
from leadline.realtime.worker import Qualifier
from leadline.scoring import run as scoring
from leadline.store.base import Engine

# The store-facing steps run on both engines; PostgreSQL needs initdb/pg_ctl (tests/pg.py).
pytestmark = pytest.mark.parametrize("engine", ["duckdb", "postgres"], indirect=True)
T = datetime(2026, 3, 2, 10, 0, 0, 250_000)
CONTRACT = Contract.model_validate(
    {
        "contract": "rt",
        "fit": {
            "rules": [{"name": "vp", "field": "lead.seniority", "in": ["vp"], "points": 40}],
            "grades": {"A": 40, "B": 20, "C": 10},
        },
        "behaviour": {
            "half_life_days": 30,
            "rules": [
                {"name": "demo", "activity": "demo_request", "points": 40},
                {"name": "view", "activity": "page_view", "points": 1},
            ],
            "triggers": [{"name": "demo", "activity": "demo_request", "min_grade": "B"}],
        },
        "exclude": {"free_mail_without_company": False},
        "stages": {"mql": {"min_grade": "B", "min_score": 30}},
    }
)


@pytest.fixture
def world(engine: Engine) -> Engine:
    rows = [
        ("L1", "ann@acme.example", "vp", None),
        ("L2", "bob@acme.example", "analyst", None),
        ("L3", "ann@acme.example", "vp", "L1"),  # a merged duplicate of Ann
    ]
    for lead_id, email, seniority, merged in rows:
        engine.execute(
            "INSERT INTO leads (lead_id, email, seniority, created_at, merged_into, is_free_mail) "
            "VALUES (?, ?, ?, ?, ?, false)",
            [lead_id, email, seniority, T - timedelta(days=60), merged],
        )
    return engine


def ev(event_id: str, **kw: Any) -> Event:
    fields: dict[str, Any] = {"activity_type": "page_view", "occurred_at": T, "lead_id": "L1"}
    fields.update(kw)
    return Event(source="web", source_event_id=event_id, **fields)


def test_each_event_gets_an_outcome_and_only_new_ones_are_stored(world: Engine) -> None:
    with world.transaction():
        store_events(world, [ev("old")], T)
    with world.transaction():
        stored = store_events(
            world,
            [
                ev("a"),
                ev("old"),
                ev("b", lead_id=None, email=" ANN@acme.example "),
                ev("a"),
                ev("c", lead_id="L3"),  # a merged lead: stored as given, counts for L1
                ev("d", lead_id="nobody"),
                ev("e", lead_id=None, email="who@x.example"),
            ],
            T,
        )
    got = [(o.index, o.status, o.lead_id, o.field) for o in stored.outcomes]
    assert got == [
        (0, "accepted", "L1", None),
        (1, "duplicate", "L1", None),
        (2, "accepted", "L1", None),
        (3, "duplicate", "L1", None),
        (4, "accepted", "L1", None),
        (5, "rejected", None, "lead_id"),
        (6, "rejected", None, "email"),
    ]
    assert stored.leads() == ["L1"]
    assert world.fetch("SELECT source_event_id, lead_id FROM activities ORDER BY 1") == [
        ("a", "L1"),
        ("b", "L1"),
        ("c", "L3"),
        ("old", "L1"),
    ]


def test_requalify_scores_like_batch_moves_at_the_event_time_and_routes(
    world: Engine,
) -> None:
    compiled = compile_contract(CONTRACT, "rt-v1")
    plan = LivePlan(compiled)
    routed: list[list[str]] = []
    handed: list[dict[str, Any]] = []  # the score parts the router was given (DuckDB)
    columns = ", ".join(c for c in compiled.parts_columns if c != "lead_id")

    def route(engine: Any, contract: Any, version: str, ids: list[str], now: datetime, **kw: Any):
        routed.append(ids)
        assert "live_snapshots" in kw["snapshots"]
        if kw["parts"] is not None:
            handed.extend(engine.fetch_dicts(f"SELECT lead_id, {columns} FROM {kw['parts']}"))
        return []

    with world.transaction():
        store_events(world, [ev("d1", activity_type="demo_request", occurred_at=T)], T)
        store_events(world, [ev("v1", lead_id="L2")], T)
    as_of = T + timedelta(seconds=1)
    result = requalify(world, plan, CONTRACT, ["L1", "L2"], as_of, since=T, route=route)
    assert result.to_mql == ["L1"]
    assert routed == [["L1"]]
    history = history_of(world, "L1")
    assert [(h["to_stage"], h["changed_at"]) for h in history] == [("mql", T)]
    assert history_of(world, "L2") == []
    # the same numbers as a batch run of the same plan as of the same time
    with world.transaction():
        scoring.score_all(world, compiled, as_of, 99)
    batch = {
        r["lead_id"]: r
        for r in world.fetch_dicts("SELECT * FROM score_snapshots WHERE run_id = 99")
    }
    for snap in result.snapshots:
        for column, value in snap.items():
            expected = batch[snap["lead_id"]][column]
            assert value == (pytest.approx(expected) if isinstance(value, float) else expected)
    # the brief's parts came from the same plan run as the snapshot: the batch's parts
    if world.DIALECT == "duckdb":
        want = world.fetch_dicts(
            f"SELECT lead_id, {columns} FROM score_parts WHERE run_id = 99 AND lead_id = 'L1'"
        )
        order = sorted(want, key=lambda p: (p["component"], p["rule"]))
        assert want and sorted(handed, key=lambda p: (p["component"], p["rule"])) == [
            {k: pytest.approx(v) if isinstance(v, float) else v for k, v in p.items()}
            for p in order
        ]
    # a second look changes nothing: the move is not repeated
    again = requalify(world, plan, CONTRACT, ["L1"], as_of, route=route)
    assert again.to_mql == []
    assert len(history_of(world, "L1")) == 1


def test_concurrent_requests_are_grouped_and_one_bad_request_fails_alone(
    world: Engine,
) -> None:
    plan = LivePlan(compile_contract(CONTRACT, "rt-v1"))
    qualifier = Qualifier(world, plan, CONTRACT).start()
    results: dict[int, Any] = {}
    gate = threading.Barrier(12)

    def send(n: int) -> None:
        event = ev(f"g{n}", occurred_at=None if n == 5 else T)  # request 5 is broken
        gate.wait()
        try:
            results[n] = qualifier.submit([event])
        except Exception as err:
            results[n] = err

    threads = [threading.Thread(target=send, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    qualifier.stop()
    assert isinstance(results[5], Exception)
    good = [results[n] for n in range(12) if n != 5]
    assert all(r.outcomes[0].status == "accepted" for r in good)
    assert all(r.snapshots["L1"]["lead_id"] == "L1" for r in good)
    assert world.scalar("SELECT count(*) FROM activities WHERE source_event_id LIKE 'g%'") == 11
    with pytest.raises(Exception, match="shutting down"):
        qualifier.submit([ev("late")])


def test_requests_waiting_on_the_event_loop_form_one_group_beyond_any_thread_pool(
    world: Engine,
) -> None:
    import asyncio

    plan = LivePlan(compile_contract(CONTRACT, "rt-v1"))
    groups: list[int] = []
    waits: list[float] = []

    def observed(n: int, _seconds: float, waited: list[float]) -> None:
        groups.append(n)
        waits.extend(waited)

    qualifier = Qualifier(world, plan, CONTRACT, on_group=observed)
    qualifier.start()
    requests = 100  # more than the 40 threads a blocking wait would be capped at

    async def main() -> list[Any]:
        # All queue within a millisecond; the first group takes longer than that.
        waits = [qualifier.submit_async([ev(f"a{n}")]) for n in range(requests)]
        return list(await asyncio.gather(*waits, return_exceptions=True))

    # On a thread of its own: another test may have left this thread's loop running.
    with ThreadPoolExecutor(1) as pool:
        results = pool.submit(lambda: asyncio.run(main())).result()
    qualifier.stop()
    assert all(r.outcomes[0].status == "accepted" for r in results)
    assert sum(groups) == requests
    assert len(groups) <= 3 and max(groups) > 40  # not capped by a pool of threads
    assert len(waits) == requests and min(waits) >= 0  # each request's wait is reported
    stored = world.scalar("SELECT count(*) FROM activities WHERE source_event_id LIKE 'a%'")
    assert stored == requests
