"""A scratch copy of the store for backtests: the real history is never written.

A backtest replays stage moves with contracts that were not in force, so it
needs a ``stage_history`` of its own.  The scratch is a throw-away DuckDB
file in a temporary folder, migrated like any store (same tables, same
sequences), holding a copy of what the compiled plan and the automatic moves
read: leads, accounts, content, activities up to the end of the window,
opportunities, reps, and the stage histories from *before* the window.  The
automatic-move code then runs on it unchanged (``lifecycle.auto``), so a
backtest of the contract in force takes exactly the path a real replay took.

From a DuckDB store the copy is one ``INSERT … SELECT`` per table through
``ATTACH``; from any other engine it goes through Arrow.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from leadline.scoring.common import lit
from leadline.store import migrate
from leadline.store.base import Engine
from leadline.store.duckdb import DuckDBEngine

# (table, filter) — what the plan and the automatic moves read.
COPIED: tuple[tuple[str, str], ...] = (
    ("leads", ""),
    ("accounts", ""),
    ("content", ""),
    ("activities", "WHERE occurred_at <= $end"),
    ("opportunities", ""),
    ("reps", ""),
    ("stage_history", "WHERE changed_at < $start"),
    ("account_stage_history", "WHERE changed_at < $start"),
)
ALIAS = "ll_backtest"


def _copy_duckdb(source: Engine, path: Path, params: dict[str, object]) -> None:
    source.execute(f"ATTACH {lit(str(path))} AS {ALIAS}")
    try:
        for table, where in COPIED:
            source.execute(
                f"INSERT INTO {ALIAS}.main.{table} BY NAME SELECT * FROM {table} {where}", params
            )
    finally:
        source.execute(f"DETACH {ALIAS}")


def _copy_arrow(source: Engine, scratch: Engine, params: dict[str, object]) -> None:
    for table, where in COPIED:
        data = source.fetch_arrow(f"SELECT * FROM {table} {where}", params)
        scratch.register_arrow("_ll_copy", data)
        try:
            scratch.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _ll_copy")
        finally:
            scratch.unregister("_ll_copy")


def _restart_sequence(scratch: Engine) -> None:
    """Scratch transition ids continue after the copied history's (ids are unique)."""
    top = int(
        scratch.scalar(
            "SELECT greatest(coalesce((SELECT max(transition_id) FROM stage_history), 0), "
            "coalesce((SELECT max(transition_id) FROM account_stage_history), 0))"
        )
        or 0
    )
    scratch.execute("DROP SEQUENCE seq_transition")
    scratch.execute(f"CREATE SEQUENCE seq_transition START {top + 1}")


@contextmanager
def scratch_copy(source: Engine, start: datetime, end: datetime) -> Iterator[Engine]:
    """A migrated scratch store holding what a backtest over [start, end] reads."""
    params: dict[str, object] = {"start": start, "end": end}
    with tempfile.TemporaryDirectory(prefix="leadline-backtest-") as folder:
        path = Path(folder) / "scratch.duckdb"
        scratch = DuckDBEngine.at(path)
        migrate(scratch)
        if source.DIALECT == "duckdb":
            scratch.close()
            _copy_duckdb(source, path, params)
            scratch = DuckDBEngine.at(path)
        else:
            _copy_arrow(source, scratch, params)
        try:
            _restart_sequence(scratch)
            yield scratch
        finally:
            scratch.close()
