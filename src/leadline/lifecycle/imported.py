"""Dispositions that arrive in a file: checked against the contract, then applied.

A CRM export of sales' verdicts goes through the same import pipeline as any
other file. Two things make it special, and both are done set-based here:

* **Checking.** Each row is a stage move (accept → SAL, reject → rejected,
  recycle → recycled). A row is quarantined, with the reason, when its lead
  is unknown, its reason code is not in the contract, it is dated before a
  change already in the lead's history, or the contract does not allow the
  move from the stage the lead was in at that time. The stage "at that
  time" is read from history, or from the lead's previous valid row in the
  same file, so a file holding accept-then-reject for one lead checks both.
  Rejected rows drop out and the check repeats until nothing new fails, so a
  bad row never lends its stage to the next one.
* **Applying.** Every loaded disposition of the run becomes one transition in
  ``stage_history`` (source ``disposition``, linked by ``disposition_id``),
  in one ``INSERT ... SELECT``. Re-importing the file loads nothing and so
  applies nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from leadline.contract.schema import Contract
from leadline.ingest import RowProblem
from leadline.ingest.normalize import ident, lit
from leadline.ingest.run import ExtraChecks
from leadline.lifecycle.machine import ACTIONS
from leadline.lifecycle.moves import HISTORY_LOCK
from leadline.store.base import Engine

MAX_ROUNDS = 20


def _values(pairs: Sequence[tuple[str, str]], names: str) -> str:
    if not pairs:
        return f"(SELECT NULL::VARCHAR, NULL::VARCHAR WHERE false) AS {names}"
    rows = ", ".join(f"({lit(a)}, {lit(b)})" for a, b in pairs)
    return f"(VALUES {rows}) AS {names}"


def _from_stage_sql(rows: str) -> str:
    """``rows`` (lead_id, action, decided_at, _row) → the stage each move starts from."""
    targets = _values(list(ACTIONS.items()), "act(action, to_stage)")
    return f"""
        SELECT r.*, act.to_stage,
               coalesce(
                   lag(act.to_stage) OVER (PARTITION BY r.lead_id ORDER BY r.decided_at, r._row),
                   h.to_stage, 'lead'
               ) AS from_stage,
               last.changed_at AS last_change
        FROM {rows} r
        JOIN {targets} ON act.action = r.action
        ASOF LEFT JOIN stage_history h
            ON h.lead_id = r.lead_id AND r.decided_at >= h.changed_at
        LEFT JOIN (
            SELECT lead_id, max(changed_at) AS changed_at FROM stage_history GROUP BY lead_id
        ) AS last ON last.lead_id = r.lead_id
    """


def disposition_checks(contract: Contract) -> ExtraChecks:
    """An ``extra_checks`` callback for ``run_import(kind='dispositions')``."""
    allowed = [(a, b) for a, targets in contract.stages.transitions.items() for b in targets]
    reasons = list(contract.stages.reject_reasons)

    def check(engine: Engine, norm: str) -> list[RowProblem]:
        table = ident(norm)
        # Only rows that would be loaded: already-stored ones are "unchanged".
        engine.execute(
            f"""CREATE OR REPLACE TEMP TABLE _ll_disp AS
            SELECT n._row, coalesce(l.merged_into, n.lead_id) AS lead_id, n.action, n.reason,
                   n.decided_at, l.lead_id IS NOT NULL AS known
            FROM {table} n LEFT JOIN leads l ON l.lead_id = n.lead_id
            WHERE n._problem IS NULL AND NOT EXISTS (
                SELECT 1 FROM dispositions d
                WHERE d.source = n._source AND d.source_event_id = n._source_event_id
            )"""
        )
        problems: list[RowProblem] = []
        failed: set[int] = set()
        for row, lead in engine.fetch("SELECT _row, lead_id FROM _ll_disp WHERE NOT known"):
            problems.append(RowProblem(row, "lead_id", "unknown_lead", f"no lead {lead!r}"))
            failed.add(int(row))
        for row, action, reason in engine.fetch(
            "SELECT _row, action, reason FROM _ll_disp WHERE known AND ("
            f"action NOT IN ({', '.join(lit(a) for a in ACTIONS)}) "
            "OR (action = 'reject' AND reason IS NULL) "
            f"OR (reason IS NOT NULL AND reason NOT IN ({', '.join(map(lit, reasons)) or 'NULL'})))"
        ):
            if action not in ACTIONS:
                problems.append(
                    RowProblem(
                        row, "action", "unknown_action", f"{action!r}: use accept/reject/recycle"
                    )
                )
            elif reason is None:
                problems.append(
                    RowProblem(row, "reason", "missing_reason", "a rejection needs a reason code")
                )
            else:
                problems.append(
                    RowProblem(
                        row,
                        "reason",
                        "unknown_reason",
                        f"{reason!r} is not a reason code in the contract ({', '.join(reasons)})",
                    )
                )
            failed.add(int(row))
        pairs = _values(allowed, "ok(from_stage, to_stage)")
        for _ in range(MAX_ROUNDS):
            excluded = ", ".join(str(r) for r in failed) or "-1"  # NOT IN (NULL) is never true
            rows = f"(SELECT * FROM _ll_disp WHERE _row NOT IN ({excluded}))"
            bad = engine.fetch(
                f"""SELECT m._row, m.from_stage, m.to_stage, m.decided_at, m.last_change,
                           ok.from_stage IS NULL AS not_allowed
                FROM ({_from_stage_sql(rows)}) m
                LEFT JOIN {pairs} ON ok.from_stage = m.from_stage AND ok.to_stage = m.to_stage
                WHERE ok.from_stage IS NULL OR m.decided_at < m.last_change
                ORDER BY m._row"""
            )
            if not bad:
                break
            for row, src, dst, at, last, not_allowed in bad:
                failed.add(int(row))
                if not_allowed:
                    later = (
                        f" (its next change is on {last:%Y-%m-%d %H:%M})"
                        if last and at < last
                        else ""
                    )
                    problems.append(
                        RowProblem(
                            row,
                            "action",
                            "transition_not_allowed",
                            f"on {at:%Y-%m-%d %H:%M} the lead was {src!r}{later}; "
                            f"the contract does not allow {src} → {dst}",
                        )
                    )
                else:
                    problems.append(
                        RowProblem(
                            row,
                            "decided_at",
                            "out_of_order",
                            f"{at} is before the lead's last stage change ({last})",
                        )
                    )
        engine.execute("DROP TABLE IF EXISTS _ll_disp")
        return problems

    return check


def apply_dispositions(engine: Engine, version: str) -> int:
    """Turn loaded dispositions that have no transition yet into stage transitions.

    Not limited to the latest run: an import killed between loading and
    applying is completed by the next import of any dispositions file.
    """
    rows = """(SELECT d.disposition_id, coalesce(l.merged_into, d.lead_id) AS lead_id,
                       d.action, d.reason, d.note, d.actor,
                       d.decided_at, d.disposition_id AS _row
                FROM dispositions d LEFT JOIN leads l ON l.lead_id = d.lead_id
                WHERE NOT EXISTS (
                    SELECT 1 FROM stage_history s WHERE s.disposition_id = d.disposition_id
                ))"""
    with engine.transaction():
        engine.lock(HISTORY_LOCK)
        before = int(engine.scalar("SELECT count(*) FROM stage_history") or 0)
        engine.execute(
            f"""INSERT INTO stage_history (transition_id, lead_id, from_stage, to_stage,
                    changed_at, actor, reason, note, source, contract_version, disposition_id)
            SELECT nextval('seq_transition'), m.lead_id, m.from_stage, m.to_stage, m.decided_at,
                   coalesce(m.actor, 'import'), m.reason, m.note, 'disposition', ?,
                   m.disposition_id
            FROM ({_from_stage_sql(rows)}) m
            ORDER BY m.decided_at, m.disposition_id""",
            [version],
        )
        return int(engine.scalar("SELECT count(*) FROM stage_history") or 0) - before
