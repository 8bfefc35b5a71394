"""Finding SLA breaches and escalating them — set-based, and only once per clock.

:func:`check_sla` is what the server's scheduler runs every minute (and
``leadline sla --check`` runs by hand).  In one transaction it:

1. stops clocks that were answered: a first touch stops speed-to-lead; any
   stage change out of MQL (accept, reject, recycle…) stops both clocks;
2. finds clocks whose due moment passed without an answer in time, records
   one breach per clock (a second run finds nothing new) and marks the clock;
3. escalates the open ones: optionally gives speed-to-lead breaches to the
   next eligible rep (once per MQL), and queues a message to the owner's
   manager on the contract's channels.  Clocks answered late are recorded,
   not escalated: there is nothing left to chase.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from leadline.contract.compiler import CompiledContract
from leadline.contract.loader import contract_version
from leadline.contract.schema import Contract
from leadline.notify.channels import Channels
from leadline.notify.outbox import OutboxMessage, enqueue
from leadline.scoring.common import lit
from leadline.sla import render
from leadline.sla.calendar import Calendar
from leadline.sla.clocks import SPEED_TO_LEAD, stop_from_stage_moves, stop_from_touches
from leadline.store.base import Engine

NOTIFIED, REASSIGNED, RECORDED = "notified", "reassigned", "recorded"


@dataclass
class Breach:
    """One clock that ran out, and what was done about it."""

    breach_id: int
    clock_id: int
    lead_id: str
    kind: str
    rep_id: str | None
    priority: str | None
    started_at: datetime
    due_at: datetime
    detected_at: datetime
    stopped_at: datetime | None
    action: str
    escalated_to: str | None = None
    new_rep_id: str | None = None
    new_assignment_id: int | None = None
    overdue_seconds: float = 0.0
    notifications: list[int] = field(default_factory=list)

    @property
    def late(self) -> bool:
        """Answered, but after the deadline (recorded, not escalated)."""
        return self.stopped_at is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "breach_id": self.breach_id,
            "clock_id": self.clock_id,
            "lead_id": self.lead_id,
            "kind": self.kind,
            "rep_id": self.rep_id,
            "priority": self.priority,
            "started_at": self.started_at.isoformat(),
            "due_at": self.due_at.isoformat(),
            "detected_at": self.detected_at.isoformat(),
            "stopped_at": self.stopped_at.isoformat() if self.stopped_at else None,
            "late": self.late,
            "action": self.action,
            "escalated_to": self.escalated_to,
            "new_rep_id": self.new_rep_id,
            "new_assignment_id": self.new_assignment_id,
            "overdue_seconds": round(self.overdue_seconds, 1),
            "notifications": list(self.notifications),
        }


def _manager_email_sql(contract: Contract) -> str:
    """The breached owner's manager's address: the contract's map, a rep, or the fallback."""
    sla = contract.sla
    managers = sla.escalation.managers if sla else {}
    mapped = "NULL"
    if managers:
        mapped = (
            "CASE r.manager "
            + " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in managers.items())
            + " END"
        )
    fallback = (sla.escalation.fallback_email if sla else None) or (
        contract.owners.sales if contract.owners else None
    )
    return f"""coalesce({mapped},
        (SELECT min(m.email) FROM reps AS m WHERE r.manager IN (m.rep_id, m.name, m.email)),
        CASE WHEN r.manager LIKE '%@%' THEN r.manager END,
        {lit(fallback)})"""


def check_sla(
    engine: Engine,
    contract: Contract | CompiledContract,
    now: datetime,
    *,
    version: str | None = None,
) -> list[Breach]:
    """Record and escalate every breach as of ``now``; returns only the new ones."""
    terms = contract.contract if isinstance(contract, CompiledContract) else contract
    if version is None:
        version = (
            contract.version if isinstance(contract, CompiledContract) else contract_version(terms)
        )
    with engine.transaction():
        engine.lock("sla")  # one breach detector at a time: each breach is recorded once
        stop_from_touches(engine, now)
        stop_from_stage_moves(engine, now)
        engine.execute(
            f"""CREATE TEMP TABLE _ll_sla_new AS
            SELECT nextval('seq_sla_breach') AS breach_id, c.clock_id, c.lead_id, c.kind,
                   c.rep_id, c.priority, c.started_at, c.due_at, c.stopped_at, c.timezone,
                   c.assignment_id, x.reason AS assignment_reason,
                   r.name AS rep_name, r.manager,
                   {_manager_email_sql(terms)} AS manager_email,
                   l.first_name, l.last_name, l.email AS lead_email, l.company
            FROM sla_clocks AS c
            LEFT JOIN reps AS r ON r.rep_id = c.rep_id
            LEFT JOIN assignments AS x ON x.assignment_id = c.assignment_id
            LEFT JOIN leads AS l ON l.lead_id = c.lead_id
            WHERE c.breached_at IS NULL AND c.due_at <= $now
              AND (c.stopped_at IS NULL OR c.stopped_at > c.due_at)
              AND NOT EXISTS (SELECT 1 FROM sla_breaches AS b WHERE b.clock_id = c.clock_id)""",
            {"now": now},
        )
        rows = engine.fetch_dicts("SELECT * FROM _ll_sla_new ORDER BY breach_id")
        engine.execute(
            "UPDATE sla_clocks SET breached_at = $now "
            "WHERE clock_id IN (SELECT clock_id FROM _ll_sla_new)",
            {"now": now},
        )
        engine.execute("DROP TABLE IF EXISTS _ll_sla_new")
        if not rows:
            return []
        breaches = _escalate(engine, terms, contract, version, rows, now)
        _store(engine, breaches, version)
    return breaches


def _escalate(
    engine: Engine,
    terms: Contract,
    contract: Contract | CompiledContract,
    version: str,
    rows: list[dict[str, Any]],
    now: datetime,
) -> list[Breach]:
    calendar = Calendar.from_contract(terms)
    escalation = terms.sla.escalation if terms.sla else None
    open_rows = [r for r in rows if r["stopped_at"] is None]
    moved: dict[str, Any] = {}
    if escalation and escalation.reassign and terms.routing is not None:
        from leadline.routing.assign import reassign  # routing starts clocks: import late

        due = sorted(
            {
                str(r["lead_id"])
                for r in open_rows
                if r["kind"] == SPEED_TO_LEAD and r["assignment_reason"] is None
            }
        )
        moved = {a.lead_id: a for a in reassign(engine, contract, version, due, now)}
    channels = Channels.from_contract(terms)
    wanted = {"webhook", "email"}
    if escalation is not None and escalation.notify is not None:
        wanted = set(escalation.notify)
    breaches: list[Breach] = []
    queued: list[tuple[Breach, OutboxMessage]] = []
    for row in rows:
        new = moved.get(str(row["lead_id"])) if row["kind"] == SPEED_TO_LEAD else None
        overdue = calendar.between(row["timezone"], row["due_at"], row["stopped_at"] or now)
        b = Breach(
            breach_id=int(row["breach_id"]),
            clock_id=int(row["clock_id"]),
            lead_id=str(row["lead_id"]),
            kind=str(row["kind"]),
            rep_id=row["rep_id"],
            priority=row["priority"],
            started_at=row["started_at"],
            due_at=row["due_at"],
            detected_at=now,
            stopped_at=row["stopped_at"],
            action=RECORDED,
            new_rep_id=new.rep_id if new else None,
            new_assignment_id=new.assignment_id if new else None,
            overdue_seconds=overdue,
        )
        breaches.append(b)
        if b.late:
            continue
        b.action = REASSIGNED if new else RECORDED
        refs: dict[str, Any] = {"lead_id": b.lead_id, "breach_id": b.breach_id}
        messages: list[OutboxMessage | None] = []
        if "webhook" in wanted:
            messages.append(
                channels.webhook_message("sla_escalation", render.slack(b, row, new), **refs)
            )
        if "email" in wanted and row["manager_email"]:
            b.escalated_to = str(row["manager_email"])
            messages.append(
                channels.email_message(
                    "sla_escalation", render.email(b, row, new), [b.escalated_to], **refs
                )
            )
        sent = [m for m in messages if m is not None]
        if sent and not new:
            b.action = NOTIFIED
        queued += [(b, m) for m in sent]
    ids = enqueue(engine, [m for _, m in queued], now)
    for (b, _), notification_id in zip(queued, ids, strict=True):
        b.notifications.append(notification_id)
    return breaches


_BREACH_SCHEMA = pa.schema(
    [
        ("breach_id", pa.int64()),
        ("clock_id", pa.int64()),
        ("lead_id", pa.string()),
        ("kind", pa.string()),
        ("rep_id", pa.string()),
        ("priority", pa.string()),
        ("started_at", pa.timestamp("us")),
        ("due_at", pa.timestamp("us")),
        ("detected_at", pa.timestamp("us")),
        ("stopped_at", pa.timestamp("us")),
        ("action", pa.string()),
        ("escalated_to", pa.string()),
        ("new_assignment_id", pa.int64()),
    ]
)


def _store(engine: Engine, breaches: list[Breach], version: str) -> None:
    data = {name: [getattr(b, name) for b in breaches] for name in _BREACH_SCHEMA.names}
    engine.register_arrow("_ll_breaches", pa.table(data, schema=_BREACH_SCHEMA))
    try:
        engine.execute(
            f"""INSERT INTO sla_breaches ({", ".join(_BREACH_SCHEMA.names)}, contract_version)
            SELECT {", ".join(_BREACH_SCHEMA.names)}, $version FROM _ll_breaches""",
            {"version": version},
        )
    finally:
        engine.unregister("_ll_breaches")


def sla_clocks(
    engine: Engine, now: datetime, *, state: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Clocks with their state as of ``now``: open, overdue, met, late, breached, handed_over."""
    where = "WHERE state = $state" if state else ""
    params: dict[str, Any] = {"now": now, "limit": limit}
    if state:
        params["state"] = state
    return engine.fetch_dicts(
        f"""SELECT * FROM (
            SELECT c.clock_id, c.lead_id, c.kind, c.rep_id, c.priority, c.budget,
                   c.timezone, c.started_at, c.due_at, c.stopped_at, c.stopped_by,
                   CASE WHEN c.stopped_by = 'reassigned' AND c.breached_at IS NULL
                            THEN 'handed_over'
                        WHEN c.breached_at IS NOT NULL AND c.stopped_at IS NULL THEN 'breached'
                        WHEN c.stopped_at IS NOT NULL AND c.stopped_at <= c.due_at THEN 'met'
                        WHEN c.stopped_at IS NOT NULL THEN 'late'
                        WHEN c.due_at <= $now THEN 'overdue'
                        ELSE 'open' END AS state,
                   b.action AS breach_action
            FROM sla_clocks AS c LEFT JOIN sla_breaches AS b ON b.clock_id = c.clock_id
            WHERE c.started_at <= $now
        ) AS s {where}
        ORDER BY due_at, clock_id LIMIT $limit""",
        params,
    )


def sla_breaches(engine: Engine, *, limit: int = 200) -> list[dict[str, Any]]:
    return engine.fetch_dicts(
        """SELECT breach_id, clock_id, lead_id, kind, rep_id, priority, due_at, detected_at,
               stopped_at, action, escalated_to, new_assignment_id
        FROM sla_breaches ORDER BY breach_id DESC LIMIT ?""",
        [limit],
    )
