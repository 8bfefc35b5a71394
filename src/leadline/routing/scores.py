"""Scores for routing and briefs, from the same compiled plan as batch scoring.

Compiling a contract and rendering its SQL take tens to hundreds of
milliseconds, far more than running it for a handful of leads; a real-time
handoff cannot pay that per event.  Both are cached here by contract version
(which identifies the contract exactly) and engine dialect.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from leadline.contract.compiler import CompiledContract, compile_contract
from leadline.contract.loader import contract_version
from leadline.contract.schema import Contract
from leadline.scoring.run import COMPONENT_ORDER
from leadline.scoring.slice import slice_for
from leadline.store.base import Engine

_lock = threading.Lock()
_compiled: dict[str, CompiledContract] = {}
_rendered: dict[tuple[str, str, str], str] = {}


def compiled_for(
    contract: Contract | CompiledContract, version: str | None = None
) -> CompiledContract:
    """The compiled plan for a contract, compiled at most once per version."""
    if isinstance(contract, CompiledContract):
        return contract
    key = version or contract_version(contract)
    with _lock:
        found = _compiled.get(key)
    if found is None:
        found = compile_contract(contract, key)
        with _lock:
            if len(_compiled) > 16:
                _compiled.clear()
            _compiled[key] = found
    return found


def contract_of(contract: Contract | CompiledContract) -> Contract:
    return contract.contract if isinstance(contract, CompiledContract) else contract


def _sql(engine: Engine, compiled: CompiledContract, kind: str) -> str:
    key = (compiled.version, engine.DIALECT, kind)
    with _lock:
        text = _rendered.get(key)
    if text is None:
        query = (
            compiled.snapshot_query(lead_ids=True)
            if kind == "snapshot"
            else compiled.parts_query(lead_ids=True)
        )
        text = engine.render(query)
        with _lock:
            _rendered[key] = text
    return text


def _dicts(
    engine: Engine, sql: str, params: dict[str, Any], columns: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Rows as dicts via ``fetch_prepared``: the plan's columns are known, DuckDB's Arrow
    path re-tokenises the (large) plan text in Python on every call, and planning it
    costs more than running it for a few leads."""
    return [dict(zip(columns, row, strict=True)) for row in engine.fetch_prepared(sql, params)]


def snapshot_sql(engine: Engine, compiled: CompiledContract) -> str:
    """Rendered single-lead snapshot query (``$as_of``, ``$lead_ids``)."""
    return _sql(engine, compiled, "snapshot")


def snapshot_reference_sql(compiled: CompiledContract) -> str:
    """The same query as reference-dialect text, to splice into a larger statement
    (rendered text spliced into a string would be transpiled twice)."""
    key = (compiled.version, "reference", "snapshot")
    with _lock:
        text = _rendered.get(key)
    if text is None:
        text = compiled.snapshot_query(lead_ids=True).sql(dialect="duckdb")
        with _lock:
            _rendered[key] = text
    return text


def lead_snapshots(
    engine: Engine, compiled: CompiledContract, as_of: datetime, lead_ids: list[str]
) -> dict[str, dict[str, Any]]:
    """Snapshots of a few leads, by lead id (on DuckDB, from copies of their rows)."""
    if not lead_ids:
        return {}
    copies = slice_for(engine, compiled)
    if copies is not None:
        with engine.transaction():
            copies.load(lead_ids)
            return {str(r["lead_id"]): r for r in copies.snapshots(as_of, lead_ids)}
    rows = _dicts(
        engine,
        snapshot_sql(engine, compiled),
        {"as_of": as_of, "lead_ids": list(lead_ids)},
        compiled.snapshot_columns,
    )
    return {str(r["lead_id"]): r for r in rows}


def lead_parts(
    engine: Engine, compiled: CompiledContract, as_of: datetime, lead_ids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """Every lead's score parts, in explanation order (component, then biggest first)."""
    if not lead_ids:
        return {}
    if slice_for(engine, compiled) is not None:
        return lead_scores(engine, compiled, as_of, lead_ids)[1]
    rows = _dicts(
        engine,
        _sql(engine, compiled, "parts"),
        {"as_of": as_of, "lead_ids": list(lead_ids)},
        compiled.parts_columns,
    )
    return order_parts(rows)


def lead_scores(
    engine: Engine, compiled: CompiledContract, as_of: datetime, lead_ids: list[str]
) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Snapshots and parts of a few leads together (on DuckDB, one copy of their rows)."""
    if not lead_ids:
        return {}, {}
    copies = slice_for(engine, compiled)
    if copies is None:
        return (
            lead_snapshots(engine, compiled, as_of, lead_ids),
            lead_parts(engine, compiled, as_of, lead_ids),
        )
    with engine.transaction():
        copies.load(lead_ids)
        snapshots, parts = copies.scores(as_of, lead_ids)
    return {str(r["lead_id"]): r for r in snapshots}, order_parts(parts)


def order_parts(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Parts grouped by lead, in explanation order (component, then biggest first)."""
    rank = {c: i for i, c in enumerate(COMPONENT_ORDER)}
    rows = sorted(rows, key=lambda r: (rank.get(r["component"], 99), -abs(r["points"]), r["rule"]))
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(str(row["lead_id"]), []).append(row)
    return out
