"""Recording stage changes decided by people: manual moves and dispositions.

Every transition stores when, who, why and under which contract version, and
is appended to ``stage_history``; nothing is overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from leadline.contract.schema import Contract
from leadline.errors import TransitionError
from leadline.lifecycle import machine
from leadline.lifecycle.history import last_change, stage_of
from leadline.store.base import Engine

# Every change to stage_history takes this lock: single-lead moves share it
# (after locking their lead), set-based moves over many leads hold it alone.
HISTORY_LOCK = "leadline:stage_history"


def lock_lead(engine: Engine, lead_id: str) -> None:
    """Queue concurrent changes to one lead (inside a transaction; see ``Engine.lock``).

    The lead first, then the history lock shared: the order every writer
    uses, so two writers never wait for each other in a circle.
    """
    engine.lock(f"lead:{lead_id}")
    engine.lock(HISTORY_LOCK, shared=True)


@dataclass(frozen=True)
class Transition:
    lead_id: str
    from_stage: str
    to_stage: str
    changed_at: datetime
    actor: str
    reason: str | None
    note: str | None
    source: str
    contract_version: str
    disposition_id: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "lead_id": self.lead_id,
            "from_stage": self.from_stage,
            "to_stage": self.to_stage,
            "changed_at": self.changed_at.isoformat(),
            "actor": self.actor,
            "reason": self.reason,
            "note": self.note,
            "source": self.source,
            "contract_version": self.contract_version,
            "disposition_id": self.disposition_id,
        }


def record(engine: Engine, t: Transition) -> None:
    engine.execute(
        "INSERT INTO stage_history (transition_id, lead_id, from_stage, to_stage, changed_at, "
        "actor, reason, note, source, contract_version, disposition_id) "
        "VALUES (nextval('seq_transition'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            t.lead_id,
            t.from_stage,
            t.to_stage,
            t.changed_at,
            t.actor,
            t.reason,
            t.note,
            t.source,
            t.contract_version,
            t.disposition_id,
        ],
    )


def _guard_order(engine: Engine, lead_id: str, at: datetime) -> None:
    latest = last_change(engine, lead_id)
    if latest is not None and at < latest:
        raise TransitionError(
            f"lead {lead_id} already has a stage change at {latest:%Y-%m-%d %H:%M:%S}; "
            "a new change cannot be dated before it"
        )


def move(
    engine: Engine,
    contract: Contract,
    version: str,
    lead_id: str,
    to_stage: str,
    *,
    at: datetime,
    actor: str,
    reason: str | None = None,
    note: str | None = None,
    qualification: dict[str, str | None] | None = None,
) -> Transition:
    """A manual move, refused unless the contract allows it."""
    with engine.transaction():
        lock_lead(engine, lead_id)
        _guard_order(engine, lead_id, at)
        current, _ = stage_of(engine, lead_id, at)
        checked = machine.check_move(contract, current, to_stage)
        if to_stage == "sql":
            fields = qualification or {}
            missing = machine.missing_qualification(contract, fields)
            if missing:
                raise TransitionError(
                    "SQL needs "
                    + ", ".join(contract.stages.sql.requires)
                    + "; missing: "
                    + ", ".join(missing)
                    + " (pass them with --budget/--authority/--need/--timeline)"
                )
            engine.execute(
                "INSERT INTO qualifications VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    lead_id,
                    fields.get("budget"),
                    fields.get("authority"),
                    fields.get("need"),
                    fields.get("timeline"),
                    actor,
                    at,
                ],
            )
        t = Transition(
            lead_id,
            checked.from_stage,
            checked.to_stage,
            at,
            actor,
            reason,
            note,
            "manual",
            version,
        )
        record(engine, t)
    return t


def dispose(
    engine: Engine,
    contract: Contract,
    version: str,
    lead_id: str,
    action: str,
    *,
    at: datetime,
    actor: str,
    reason: str | None = None,
    note: str | None = None,
    source: str = "cli",
    source_event_id: str | None = None,
) -> Transition:
    """Sales' verdict on an MQL: store the disposition and the stage move it implies."""
    with engine.transaction():
        lock_lead(engine, lead_id)
        _guard_order(engine, lead_id, at)
        current, _ = stage_of(engine, lead_id, at)
        checked = machine.check_disposition(contract, current, action, reason)
        event_id = source_event_id or f"{lead_id}:{action}:{at.isoformat()}"
        disposition_id = int(engine.scalar("SELECT nextval('seq_disposition')"))
        engine.execute(
            "INSERT INTO dispositions (disposition_id, source, source_event_id, lead_id, action, "
            "reason, note, actor, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [disposition_id, source, event_id, lead_id, action, reason, note, actor, at],
        )
        t = Transition(
            lead_id,
            checked.from_stage,
            checked.to_stage,
            at,
            actor,
            reason,
            note,
            "disposition",
            version,
            disposition_id,
        )
        record(engine, t)
    return t
