"""Replay history on the scratch store with one contract: the moves it would have made.

At every step T (the same schedule :meth:`Leadline.replay` walks) the
contract's compiled snapshot query runs once, set-based, into a temp table,
and :func:`leadline.lifecycle.auto.apply_auto_transitions` applies the moves
it implies — lead → MQL, recycled → MQL, account → MQA, and the CRM facts
(opportunity, won, lost) — exactly as a real score run would.

What people did in the window (sales dispositions, manual moves, imported
moves) is carried over from the real history at its recorded time, but only
where it still makes sense: the lead must be in the stage the move started
from, in this replay, at that moment (a candidate contract that never made a
lead an MQL gets no "accept" for it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pyarrow as pa

from leadline.contract.compiler import CompiledContract
from leadline.contract.schema import Contract
from leadline.lifecycle import auto
from leadline.store.base import Engine

STEPS: dict[str, timedelta] = {"day": timedelta(days=1), "week": timedelta(days=7)}
AUTOMATIC_SOURCES = ("score", "crm")


@dataclass(frozen=True)
class ContractRun:
    """One contract to replay: its label in the results, model and compiled plan."""

    label: str
    contract: Contract
    version: str
    compiled: CompiledContract


def prepare(scratch: Engine) -> None:
    """Keep the copied (pre-window) histories, so every contract starts from them."""
    scratch.execute("CREATE OR REPLACE TABLE _bt_base_history AS SELECT * FROM stage_history")
    scratch.execute(
        "CREATE OR REPLACE TABLE _bt_base_account_history AS SELECT * FROM account_stage_history"
    )
    scratch.execute(
        "CREATE TABLE IF NOT EXISTS bt_transitions AS SELECT CAST(NULL AS VARCHAR) AS contract, "
        "* FROM stage_history WHERE FALSE"
    )
    # no people moves to carry over until load_people_moves says otherwise
    scratch.execute(
        "CREATE OR REPLACE TABLE _bt_people_moves AS SELECT * FROM stage_history WHERE FALSE"
    )


def load_people_moves(scratch: Engine, rows: pa.Table) -> None:
    """The real history's non-automatic moves inside the window (an Arrow table)."""
    scratch.register_arrow("_ll_moves", rows)
    try:
        scratch.execute("CREATE OR REPLACE TABLE _bt_people_moves AS SELECT * FROM _ll_moves")
    finally:
        scratch.unregister("_ll_moves")


def _carry(scratch: Engine, since: datetime | None, at: datetime, version: str) -> int:
    """Insert the window's people moves that fit this replay's state, earliest first."""
    params: dict[str, object] = {"since": since, "at": at, "version": version}
    scratch.execute(
        "CREATE OR REPLACE TEMP TABLE _bt_pending AS SELECT * FROM _bt_people_moves "
        "WHERE changed_at <= $at AND ($since IS NULL OR changed_at > $since)",
        params,
    )
    carried = 0
    while int(scratch.scalar("SELECT count(*) FROM _bt_pending") or 0):
        scratch.execute(
            """CREATE OR REPLACE TEMP TABLE _bt_round AS
            SELECT * FROM (
                SELECT p.*, row_number() OVER (
                    PARTITION BY p.lead_id ORDER BY p.changed_at, p.transition_id) AS rn
                FROM _bt_pending AS p) AS q
            WHERE rn = 1"""
        )
        before = int(scratch.scalar("SELECT count(*) FROM stage_history") or 0)
        scratch.execute(
            """INSERT INTO stage_history (transition_id, lead_id, from_stage, to_stage,
                changed_at, actor, reason, note, source, contract_version, score_run_id,
                disposition_id)
            SELECT nextval('seq_transition'), r.lead_id, r.from_stage, r.to_stage, r.changed_at,
                r.actor, r.reason, r.note, r.source, $version, NULL, r.disposition_id
            FROM _bt_round AS r
            WHERE r.from_stage = coalesce((
                    SELECT h.to_stage FROM stage_history AS h
                    WHERE h.lead_id = r.lead_id AND h.changed_at <= r.changed_at
                    ORDER BY h.changed_at DESC, h.transition_id DESC LIMIT 1), 'lead')
              AND NOT EXISTS (SELECT 1 FROM stage_history AS h
                    WHERE h.lead_id = r.lead_id AND h.changed_at > r.changed_at)""",
            params,
        )
        carried += int(scratch.scalar("SELECT count(*) FROM stage_history") or 0) - before
        scratch.execute(
            "DELETE FROM _bt_pending WHERE transition_id IN (SELECT transition_id FROM _bt_round)"
        )
    return carried


def replay(scratch: Engine, run: ContractRun, moments: list[datetime]) -> None:
    """Replay one contract over the moments; its moves land in ``bt_transitions``."""
    scratch.execute("DELETE FROM stage_history")
    scratch.execute("INSERT INTO stage_history SELECT * FROM _bt_base_history")
    scratch.execute("DELETE FROM account_stage_history")
    scratch.execute("INSERT INTO account_stage_history SELECT * FROM _bt_base_account_history")
    top = int(scratch.scalar("SELECT coalesce(max(transition_id), 0) FROM _bt_base_history") or 0)
    query = scratch.render(run.compiled.snapshot_query())
    since: datetime | None = None
    for at in moments:
        _carry(scratch, since, at, run.version)
        scratch.execute(f"CREATE OR REPLACE TEMP TABLE _ll_bt_snap AS {query}", {"as_of": at})
        auto.apply_auto_transitions(
            scratch, run.contract, run.version, "_ll_bt_snap", at, crm_facts=True, since=since
        )
        since = at
    scratch.execute("DROP TABLE IF EXISTS _ll_bt_snap")
    scratch.execute(
        "INSERT INTO bt_transitions SELECT ?, * FROM stage_history WHERE transition_id > ?",
        [run.label, top],
    )
