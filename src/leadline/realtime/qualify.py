"""Re-score a few leads now, with the batch plan, and act on the verdict.

``requalify`` is the real-time twin of ``Leadline.score``: the snapshot comes
from the contract's compiled lead-filtered plan (the same expressions
``scoring.run.score_leads`` and ``score_all`` execute, so an API snapshot and
a batch snapshot of the same lead as of the same time cannot disagree), the
automatic stage moves come from ``lifecycle.auto.apply_auto_transitions``
run on just these snapshots, and the leads that became MQLs are routed
(owner, brief, notifications queued in the outbox, SLA clocks) in the same
transaction, so "accepted" never means "accepted but not yet routed".

Live snapshots go to ``live_snapshots``, not ``score_snapshots``: a batch run
is "every lead as of T", and readers rely on the latest batch run holding
every lead. Their ``run_id`` comes from the same sequence as batch runs, so a
stage move's ``score_run_id`` points at exactly one snapshot either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import pyarrow as pa

from leadline.contract.compiler import CompiledContract
from leadline.contract.schema import Contract
from leadline.lifecycle import auto
from leadline.scoring.slice import COPIES, Slice, slice_for
from leadline.store.base import Engine


class Router(Protocol):
    """``leadline.routing.route_mqls``: place MQLs, queue notifications, start clocks."""

    def __call__(
        self,
        engine: Engine,
        contract: Contract | CompiledContract,
        version: str,
        lead_ids: list[str],
        now: datetime,
        *,
        snapshots: str | None = None,
        parts: str | None = None,
        copies: Mapping[str, str] | None = None,
    ) -> list[Any]: ...


_LIVE_SCHEMA = pa.schema(
    [
        ("lead_id", pa.string()),
        ("account_id", pa.string()),
        ("as_of", pa.timestamp("us")),
        ("contract_version", pa.string()),
        ("fit_points", pa.float64()),
        ("grade", pa.string()),
        ("engagement", pa.float64()),
        ("intent", pa.float64()),
        ("score", pa.float64()),
        ("excluded_reason", pa.string()),
        ("trigger_rule", pa.string()),
        ("priority", pa.string()),
        ("priority_rank", pa.int32()),
        ("qualifies_mql", pa.bool_()),
        ("mql_reason", pa.string()),
        ("account_score", pa.float64()),
        ("account_engaged_contacts", pa.int32()),
        ("account_qualifies_mqa", pa.bool_()),
    ]
)
_LIVE_COLUMNS = tuple(_LIVE_SCHEMA.names)


class LivePlan:
    """The compiled lead-filtered snapshot query, rendered once.

    Rendering the plan's expression tree to SQL costs tens of milliseconds
    (sqlglot walks every node); the text never changes for a contract
    version, so the hot path renders it once and reuses it.  On DuckDB it
    runs on a copy of just the leads' rows (:mod:`leadline.scoring.slice`).
    """

    def __init__(self, compiled: CompiledContract) -> None:
        self.compiled = compiled
        self.version = compiled.version
        self.snapshot_sql = compiled.snapshot_query(lead_ids=True).order_by("lead_id").sql("duckdb")
        self.columns = compiled.snapshot_columns

    def _slice(self, engine: Engine) -> Slice | None:
        return slice_for(engine, self.compiled)

    def score(
        self, engine: Engine, as_of: datetime, lead_ids: list[str]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
        """Snapshot dicts for the given surviving leads (same rows as ``score_leads``)
        and, on DuckDB's copies, their score parts from the same statement (a new
        MQL's brief needs them; None where the brief computes them itself)."""
        if not lead_ids:
            return [], None
        copies = self._slice(engine)
        if copies is not None:
            copies.load(lead_ids)
            return copies.scores(as_of, lead_ids)
        rows = engine.fetch_prepared(
            self.snapshot_sql, {"as_of": as_of, "lead_ids": list(lead_ids)}
        )
        return [dict(zip(self.columns, row, strict=True)) for row in rows], None

    def parts_table(
        self, engine: Engine, parts: list[dict[str, Any]] | None, lead_ids: list[str]
    ) -> str | None:
        """A table of ``lead_ids``' parts (from :meth:`score`) for the handoff brief."""
        copies = self._slice(engine)
        if copies is None or parts is None:
            return None
        wanted = set(lead_ids)
        return copies.put_parts([p for p in parts if p["lead_id"] in wanted])

    def copies(self, engine: Engine) -> dict[str, str] | None:
        """The copies :meth:`score` just scored on (None where it reads the store):
        they hold the leads', their duplicates' and their colleagues' rows, which the
        stage moves and briefs that follow read again."""
        return dict(COPIES) if self._slice(engine) is not None else None


@dataclass
class LiveResult:
    """What one real-time step did."""

    run_id: int | None
    as_of: datetime
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    to_mql: list[str] = field(default_factory=list)
    assignments: list[Any] = field(default_factory=list)

    def snapshot_of(self, lead_id: str) -> dict[str, Any] | None:
        return next((s for s in self.snapshots if s["lead_id"] == lead_id), None)


def _write(engine: Engine, run_id: int, scored_at: datetime, snaps: list[dict[str, Any]]) -> None:
    name = f"_ll_live_{run_id}"
    table = pa.Table.from_pylist([{c: s[c] for c in _LIVE_COLUMNS} for s in snaps], _LIVE_SCHEMA)
    engine.register_arrow(name, table)
    try:
        cols = ", ".join(_LIVE_COLUMNS)
        engine.execute(
            f"INSERT INTO live_snapshots (run_id, scored_at, {cols}) "
            f"SELECT ?, ?, {cols} FROM {name}",
            [run_id, scored_at],
        )
    finally:
        engine.unregister(name)


def _latest(
    engine: Engine, table: str, key: str, ids: list[str], as_of: datetime
) -> dict[str, str]:
    rows = engine.fetch(
        f"SELECT {key}, to_stage FROM {table} WHERE {key} = ANY(?) AND changed_at <= ? "
        f"ORDER BY {key}, changed_at, transition_id",
        [ids, as_of],
    )
    return {str(k): str(stage) for k, stage in rows}  # the last row per key wins


def _may_move(
    engine: Engine, contract: Contract, snaps: list[dict[str, Any]], as_of: datetime
) -> bool:
    """Could ``apply_auto_transitions`` move anything for these snapshots?

    A conservative filter with the same conditions: a qualifying lead with no
    stage yet or a recycled one (→ mql), a qualifying account not yet an MQA.
    """
    leads = [s["lead_id"] for s in snaps if s["qualifies_mql"]]
    if leads:
        latest = _latest(engine, "stage_history", "lead_id", leads, as_of)
        if any(latest.get(lead) in (None, "recycled") for lead in leads):
            return True
    accounts = sorted(
        {s["account_id"] for s in snaps if s["account_qualifies_mqa"] and s["account_id"]}
    )
    if accounts and contract.stages.mqa is not None:
        latest = _latest(engine, "account_stage_history", "account_id", accounts, as_of)
        return any(latest.get(a) != "mqa" for a in accounts)
    return False


def requalify(
    engine: Engine,
    plan: LivePlan,
    contract: Contract,
    lead_ids: list[str],
    as_of: datetime,
    *,
    since: datetime | None = None,
    route: Router | None = None,
    scored_at: datetime | None = None,
) -> LiveResult:
    """Score ``lead_ids`` as of ``as_of``, keep the snapshots, move and route new MQLs.

    ``since`` is when these leads were last looked at (the earliest new
    event, just before it): an MQL move is dated at the lead's last activity
    after it, i.e. when it crossed the line, as the batch path does.
    """
    snaps, parts = plan.score(engine, as_of, lead_ids)
    if not snaps:
        return LiveResult(None, as_of)
    copies = plan.copies(engine)
    with engine.transaction():
        run_id = int(engine.scalar("SELECT nextval('seq_score_run')"))
        result = LiveResult(run_id, as_of, snaps)
        _write(engine, run_id, scored_at or as_of, snaps)
        # The automatic moves scan whole history tables; most events cannot
        # cause one (nothing qualifies, or it already moved), so look first.
        if _may_move(engine, contract, snaps, as_of):
            moved = auto.apply_auto_transitions(
                engine,
                contract,
                plan.version,
                f"(SELECT * FROM live_snapshots WHERE run_id = {run_id})",
                as_of,
                run_id,
                crm_facts=False,
                since=since - timedelta(microseconds=1) if since else None,
                lead_ids=[s["lead_id"] for s in snaps],
                copies=copies,
            )
            result.to_mql = list(moved.mqls)
        if result.to_mql and route is not None:
            result.assignments = list(
                route(
                    engine,
                    plan.compiled,
                    plan.version,
                    result.to_mql,
                    as_of,
                    snapshots=f"(SELECT * FROM live_snapshots WHERE run_id = {run_id})",
                    parts=plan.parts_table(engine, parts, result.to_mql),
                    copies=copies,
                )
            )
    return result
