"""Many writers on one lead at once: one consistent state, a complete ordered history.

Workers hammer lead L1 with what the service does concurrently: events (an
activity is stored, the lead re-scored with the compiled plan and the
automatic moves applied, as the real-time path does) and sales' actions
(accept, reject, recycle, SQL).  Threads share one engine (DuckDB and
PostgreSQL); on PostgreSQL, separate processes with their own connections join
in.  Refusals are fine (a move the contract does not allow from the stage the
lead is in by then); what must never happen is a lost or phantom change, a
broken chain of stages, or a history out of order.
"""

from __future__ import annotations

import multiprocessing
import random
import threading
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlglot import exp

from leadline.contract.compiler import CompiledContract, compile_contract
from leadline.contract.schema import Contract
from leadline.errors import TransitionError
from leadline.lifecycle import auto, machine, moves
from leadline.lifecycle.history import history_of, stage_of
from leadline.scoring.run import score_leads
from leadline.store.base import Engine

LEAD = "L1"
VERSION = "conc-v1"
CONTRACT = Contract.model_validate(
    {
        "contract": "concurrency",
        "fit": {"grades": {"A": 50, "B": 30, "C": 10}},
        "behaviour": {"rules": [{"name": "demo", "activity": "demo_request", "points": 40}]},
        "stages": {"mql": {"min_grade": "D", "min_score": 30}, "recycle": {"cooldown_days": 0}},
    }
)
OPS = ("event", "event", "accept", "reject", "recycle", "sql")
THREADS, PROCESSES, OPS_PER_WORKER = 6, 3, 12


@dataclass(frozen=True)
class Outcome:
    actor: str
    op: str
    transitions: int  # changes this op reports it made (0 when refused)
    disposition: bool


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _event(engine: Engine, actor: str, compiled: CompiledContract) -> int:
    """An activity arrives: store it, re-score the lead, apply the automatic moves."""
    at = _now()
    with engine.transaction():
        engine.execute(
            "INSERT INTO activities (source, source_event_id, lead_id, activity_type, "
            "occurred_at, ingested_at) VALUES ('test', ?, ?, 'demo_request', ?, ?)",
            [actor, LEAD, at, at],
        )
        snap = score_leads(engine, compiled, at, [LEAD])[0]
        row = ", ".join(
            [
                f"{exp.Literal.string(LEAD).sql()} AS lead_id",
                "CAST(NULL AS VARCHAR) AS account_id",
                f"{'TRUE' if snap['qualifies_mql'] else 'FALSE'} AS qualifies_mql",
                f"{exp.Literal.string(snap['mql_reason']).sql()} AS mql_reason",
                "FALSE AS account_qualifies_mqa",
            ]
        )
        moved = auto.apply_auto_transitions(
            engine, CONTRACT, VERSION, f"(SELECT {row})", at, crm_facts=False
        )
    return moved.total


def _sales(engine: Engine, actor: str, op: str) -> Outcome:
    at = _now()
    try:
        if op in ("accept", "reject", "recycle"):
            reason = {"accept": None, "reject": "bad_fit", "recycle": "not_now"}[op]
            moves.dispose(engine, CONTRACT, VERSION, LEAD, op, at=at, actor=actor, reason=reason)
            return Outcome(actor, op, 1, True)
        bant: dict[str, str | None] = {
            "budget": "50k",
            "authority": "CFO",
            "need": "forecasting",
            "timeline": "Q3",
        }
        moves.move(engine, CONTRACT, VERSION, LEAD, "sql", at=at, actor=actor, qualification=bant)
        return Outcome(actor, op, 1, False)
    except TransitionError:
        return Outcome(actor, op, 0, False)


def run_worker(engine: Engine, name: str, seed: int) -> list[Outcome]:
    compiled = compile_contract(CONTRACT, VERSION)
    rng = random.Random(seed)
    out = []
    for i in range(OPS_PER_WORKER):
        op = rng.choice(OPS)
        actor = f"{name}-{i}"
        if op == "event":
            out.append(Outcome(actor, op, _event(engine, actor, compiled), False))
        else:
            out.append(_sales(engine, actor, op))
    return out


def process_worker(url: str, name: str, seed: int) -> list[Outcome]:
    """A separate process: its own interpreter, engine and connections."""
    from leadline.store.postgres import PostgresEngine

    engine = PostgresEngine.at(url)
    try:
        return run_worker(engine, name, seed)
    finally:
        engine.close()


def _hammer(engine: Engine, url: str | None) -> list[Outcome]:
    outcomes: list[Outcome] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def thread_worker(n: int) -> None:
        try:
            result = run_worker(engine, f"t{n}", n)
            with lock:
                outcomes.extend(result)
        except BaseException as err:  # reported below
            errors.append(err)

    pool = None
    futures = []
    if url is not None:
        pool = ProcessPoolExecutor(PROCESSES, mp_context=multiprocessing.get_context("spawn"))
        futures = [pool.submit(process_worker, url, f"p{n}", 100 + n) for n in range(PROCESSES)]
    threads = [threading.Thread(target=thread_worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if pool is not None:
        with pool:
            for f in futures:
                outcomes.extend(f.result())
    assert errors == [], errors
    return outcomes


def test_concurrent_events_and_dispositions_leave_one_consistent_history(
    engine: Engine, request: pytest.FixtureRequest
) -> None:
    engine.execute(
        "INSERT INTO leads (lead_id, email, created_at) VALUES (?, ?, ?)",
        [LEAD, "l1@acme.example", _now() - timedelta(days=30)],
    )
    url = request.getfixturevalue("pg_url") if engine.DIALECT == "postgres" else None
    outcomes = _hammer(engine, url)
    workers = THREADS + (PROCESSES if url else 0)
    assert len(outcomes) == workers * OPS_PER_WORKER

    # every event was stored, exactly once
    events = [o for o in outcomes if o.op == "event"]
    assert engine.scalar("SELECT count(*) FROM activities WHERE lead_id = ?", [LEAD]) == len(events)

    history = history_of(engine, LEAD)
    # ordered: the order the changes were made in (ids) is the order of their times
    assert [r["transition_id"] for r in history] == sorted(r["transition_id"] for r in history)
    times = [r["changed_at"] for r in history]
    assert times == sorted(times)
    # a chain: each change starts where the previous one ended, as the contract allows
    stages = ["lead"] + [str(r["to_stage"]) for r in history]
    assert [r["from_stage"] for r in history] == stages[:-1]
    for r in history:
        assert str(r["to_stage"]) in machine.allowed_targets(CONTRACT, str(r["from_stage"]))
    # complete, no phantoms: exactly the changes the workers were told they made
    made = Counter(o.actor for o in outcomes if o.transitions and o.op != "event")
    recorded = Counter(str(r["actor"]) for r in history if r["actor"] != "leadline")
    assert recorded == made
    auto_moves = sum(o.transitions for o in events)
    assert sum(1 for r in history if r["actor"] == "leadline") == auto_moves >= 1
    # each stored disposition is behind exactly one change
    dispositions = engine.fetch("SELECT disposition_id FROM dispositions WHERE lead_id = ?", [LEAD])
    assert len(dispositions) == sum(o.disposition for o in outcomes)
    linked = Counter(r["disposition_id"] for r in history if r["disposition_id"] is not None)
    assert sorted(linked) == sorted(d for (d,) in dispositions)
    assert set(linked.values()) <= {1}
    # one current state: the end of the chain
    assert stage_of(engine, LEAD, _now() + timedelta(days=1))[0] == stages[-1]
