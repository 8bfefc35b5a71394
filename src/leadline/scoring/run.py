"""Execute the compiled plan: batch scoring, single-lead scoring, explanations.

This is the only scoring module that does I/O.  All three paths run the SAME
compiled expressions (``CompiledContract.snapshot_query`` / ``parts_query``);
single-lead paths only bind ``$lead_ids``.  Creating the ``score_runs`` row and
applying stage moves are the caller's job.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlglot
from sqlglot import exp

from leadline.contract.compiler import CompiledContract
from leadline.errors import NotFound
from leadline.store.base import Engine

COMPONENT_ORDER = ("fit", "engagement", "intent", "exclusion", "trigger")


@dataclass(frozen=True)
class ScoreRunResult:
    run_id: int
    as_of: datetime
    contract_version: str
    leads_scored: int
    parts_written: int


@dataclass(frozen=True)
class Explanation:
    """One lead's snapshot, every part behind it, and the MQL verdict."""

    lead_id: str
    as_of: datetime
    contract_version: str
    snapshot: dict[str, Any]
    parts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def qualifies_mql(self) -> bool:
        return bool(self.snapshot["qualifies_mql"])

    @property
    def mql_reason(self) -> str:
        return str(self.snapshot["mql_reason"])

    def total(self, component: str) -> float:
        return float(sum(p["points"] for p in self.parts if p["component"] == component))

    def to_dict(self) -> dict[str, Any]:
        snap = {
            k: v.isoformat() if isinstance(v, datetime) else v for k, v in self.snapshot.items()
        }
        return {
            "lead_id": self.lead_id,
            "as_of": self.as_of.isoformat(),
            "contract_version": self.contract_version,
            "verdict": {
                "qualifies_mql": self.qualifies_mql,
                "mql_reason": self.mql_reason,
                "excluded_reason": self.snapshot.get("excluded_reason"),
                "trigger_rule": self.snapshot.get("trigger_rule"),
                "priority": self.snapshot.get("priority"),
            },
            "snapshot": snap,
            "parts": [dict(p) for p in self.parts],
        }


def _insert(table: str, columns: tuple[str, ...], query: exp.Select) -> exp.Insert:
    """``INSERT INTO table (run_id, cols…) SELECT $run_id, q.* FROM (query) AS q``."""
    outer = sqlglot.parse_one("SELECT $run_id, q.* FROM (SELECT 1) AS q", read="duckdb")
    subquery = outer.find(exp.Subquery)
    assert subquery is not None
    subquery.set("this", query)
    return exp.insert(outer, table, columns=["run_id", *columns])


def _temp_table(name: str, query: exp.Select) -> exp.Create:
    create = sqlglot.parse_one(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT 1", read="duckdb")
    assert isinstance(create, exp.Create)
    create.set("expression", query)
    return create


def score_all(
    engine: Engine,
    compiled: CompiledContract,
    as_of: datetime,
    run_id: int,
    *,
    materialize: bool = True,
    progress: Callable[[int, int], None] | None = None,
    step_seconds: dict[str, float] | None = None,
) -> ScoreRunResult:
    """Write every lead's snapshot and parts for ``run_id``, in one transaction.

    With ``materialize`` (the default) the CTEs both statements share
    (matched activities, per-rule engagement, intent, per-lead scores) are
    computed once into temp tables; without it each INSERT runs the whole
    chain (see docs/benchmarks.md for the measured difference).
    ``progress(done, total)`` is called after each step of the plan; when
    ``step_seconds`` is given, each step's wall time is recorded in it (by CTE
    name, then ``write score_snapshots`` / ``write score_parts``) — the
    benchmark reports where a run's time goes.
    """
    plan = compiled.plan(lead_ids=False)
    params: dict[str, Any] = {"as_of": as_of}
    done: frozenset[str] = frozenset()
    present = {n for n, _ in plan.ctes}
    steps = [n for n in compiled.shared_ctes if n in present] if materialize else []
    total = len(steps) + 2

    clock = [time.perf_counter()]

    def advance(step: int, name: str) -> None:
        if step_seconds is not None:
            now = time.perf_counter()
            step_seconds[name] = now - clock[0]
            clock[0] = now
        if progress is not None:
            progress(step, total)

    with engine.transaction():
        try:
            for i, name in enumerate(steps, start=1):
                engine.execute(_temp_table(name, plan.cte_query(name, done)), params)
                done = done | {name}
                advance(i, name)
            snap = _insert(
                "score_snapshots", compiled.snapshot_columns, plan.query(plan.snapshot_body, done)
            )
            parts = _insert(
                "score_parts", compiled.parts_columns, plan.query(plan.parts_body, done)
            )
            leads = _count(engine, snap, {**params, "run_id": run_id})
            advance(total - 1, "write score_snapshots")
            written = _count(engine, parts, {**params, "run_id": run_id})
            advance(total, "write score_parts")
        finally:
            for name in done:
                engine.execute(f"DROP TABLE IF EXISTS {name}")
    return ScoreRunResult(run_id, as_of, compiled.version, leads, written)


def _count(engine: Engine, statement: exp.Expression, params: dict[str, Any]) -> int:
    rows = engine.fetch(statement, params)
    return int(rows[0][0]) if rows and rows[0] else 0


def score_leads(
    engine: Engine, compiled: CompiledContract, as_of: datetime, lead_ids: list[str]
) -> list[dict[str, Any]]:
    """Snapshot dicts (no writes) for the given surviving leads, ordered by lead_id."""
    if not lead_ids:
        return []
    query = compiled.snapshot_query(lead_ids=True).order_by("lead_id")
    return engine.fetch_dicts(query, {"as_of": as_of, "lead_ids": list(lead_ids)})


def lead_parts(
    engine: Engine, compiled: CompiledContract, as_of: datetime, lead_ids: list[str]
) -> list[dict[str, Any]]:
    """score_parts dicts (no writes) for the given leads, in explanation order."""
    if not lead_ids:
        return []
    rows = engine.fetch_dicts(
        compiled.parts_query(lead_ids=True), {"as_of": as_of, "lead_ids": list(lead_ids)}
    )
    rank = {c: i for i, c in enumerate(COMPONENT_ORDER)}
    rows.sort(
        key=lambda r: (r["lead_id"], rank.get(r["component"], 99), -abs(r["points"]), r["rule"])
    )
    return rows


def explain_lead(
    engine: Engine, compiled: CompiledContract, as_of: datetime, lead_id: str
) -> Explanation:
    """Every part of one lead's score and its verdict, from the same compiled plan."""
    snaps = score_leads(engine, compiled, as_of, [lead_id])
    if not snaps:
        raise NotFound(
            f"lead {lead_id!r} is not scored as of {as_of.isoformat()} "
            "(unknown, merged into another lead, or created later)"
        )
    parts = lead_parts(engine, compiled, as_of, [lead_id])
    return Explanation(lead_id, as_of, compiled.version, snaps[0], parts)
