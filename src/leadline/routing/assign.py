"""Routing MQLs to reps: choose, store, brief, notify and start the clocks — atomically.

:func:`route_mqls` takes the leads that are MQLs and have no owner for their
current MQL yet, and in ONE transaction:

1. places them rule by rule (one statement per rule, see :mod:`.rules`),
   honouring capacity (open MQLs), working hours and the round-robin pointer
   stored per rule, so the next batch continues where this one stopped;
2. stores every assignment with the rule that chose it;
3. starts the SLA clocks (:mod:`leadline.sla.clocks`);
4. builds the handoff briefs and queues the notifications in the outbox.

A crash anywhere leaves either all of that or none of it.  Re-routing a lead
that already has an owner for its current MQL does nothing; a lead no rule
could place is stored as ``unassigned`` (once) and tried again next time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadline.contract.compiler import CompiledContract
from leadline.contract.schema import Contract
from leadline.notify.channels import Channels
from leadline.notify.outbox import OutboxMessage, enqueue
from leadline.routing import rules
from leadline.routing.brief import build_briefs
from leadline.routing.scores import compiled_for, contract_of, snapshot_reference_sql
from leadline.sla.calendar import Calendar
from leadline.sla.clocks import start_clocks
from leadline.store.base import Engine

UNASSIGNED, FALLBACK = "unassigned", "fallback"
_TEMP = ("_ll_rt_cand", "_ll_rt_snap", "_ll_rt_reps", "_ll_rt_plan", "_ll_rt_new")


@dataclass
class Assignment:
    """Who owns an MQL now, and which rule decided it."""

    lead_id: str
    rep_id: str | None
    rule: str
    assigned_at: datetime
    assignment_id: int = 0
    rep_name: str | None = None
    rep_email: str | None = None
    priority: str | None = None
    mql_at: datetime | None = None
    off_hours: bool = False
    replaces: int | None = None
    notifications: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "assignment_id": self.assignment_id,
            "lead_id": self.lead_id,
            "rep_id": self.rep_id,
            "rep_name": self.rep_name,
            "rep_email": self.rep_email,
            "rule": self.rule,
            "assigned_at": self.assigned_at.isoformat(),
            "priority": self.priority,
            "mql_at": self.mql_at.isoformat() if self.mql_at else None,
            "off_hours": self.off_hours,
            "replaces": self.replaces,
            "notifications": list(self.notifications),
        }


# The latest stage change of each requested (surviving) lead, when it is a move to MQL
# that has no owner yet.
_CANDIDATES = """
WITH ids AS (
    SELECT DISTINCT coalesce(merged_into, lead_id) AS lead_id FROM leads
    WHERE lead_id = ANY($ids)
), latest AS (
    SELECT lead_id, transition_id, to_stage, changed_at FROM (
        SELECT h.lead_id, h.transition_id, h.to_stage, h.changed_at,
               row_number() OVER (PARTITION BY h.lead_id
                                  ORDER BY h.changed_at DESC, h.transition_id DESC) AS rn
        FROM stage_history AS h
        WHERE h.lead_id IN (SELECT lead_id FROM ids) AND h.changed_at <= $now
    ) AS x WHERE rn = 1
)
SELECT h.lead_id, h.transition_id AS mql_transition_id, h.changed_at AS mql_at,
       (SELECT max(u.assignment_id) FROM assignments AS u
        WHERE u.mql_transition_id = h.transition_id AND u.rep_id IS NULL) AS unassigned_id,
       (SELECT max(u.assignment_id) FROM assignments AS u
        WHERE u.mql_transition_id = h.transition_id AND u.rep_id IS NOT NULL) AS current_id
FROM latest AS h
WHERE h.to_stage = 'mql'
"""

# Open MQLs per rep: leads whose latest assignment is theirs and still in that MQL.
_OPEN_MQLS = """
SELECT a.rep_id, count(*) AS open_mqls FROM (
    SELECT lead_id, rep_id, mql_transition_id,
           row_number() OVER (PARTITION BY lead_id ORDER BY assignment_id DESC) AS rn
    FROM assignments WHERE assigned_at <= $now
) AS a
JOIN (
    SELECT lead_id, transition_id FROM (
        SELECT lead_id, transition_id,
               row_number() OVER (PARTITION BY lead_id
                                  ORDER BY changed_at DESC, transition_id DESC) AS rn
        FROM stage_history
        WHERE changed_at <= $now AND lead_id IN (SELECT lead_id FROM assignments)
    ) AS x WHERE rn = 1
) AS h ON h.lead_id = a.lead_id AND h.transition_id = a.mql_transition_id
WHERE a.rn = 1 AND a.rep_id IS NOT NULL
GROUP BY a.rep_id
"""


def route_mqls(
    engine: Engine,
    contract: Contract | CompiledContract,
    version: str,
    lead_ids: list[str],
    now: datetime,
    *,
    snapshots: str | None = None,
    parts: str | None = None,
    copies: Mapping[str, str] | None = None,
) -> list[Assignment]:
    """Route the given leads that are MQLs without an owner (see the module docstring).

    ``snapshots`` / ``parts`` may name tables or subqueries that already hold
    these leads' score snapshots and parts as of ``now`` (a batch run's rows,
    a real-time re-score); otherwise they are computed with the compiled plan.
    ``copies``: tables the briefs may read these leads' and their colleagues' rows
    from (see :func:`leadline.routing.brief.build_briefs`).
    """
    if contract_of(contract).routing is None or not lead_ids:
        return []
    params = {"ids": sorted(set(lead_ids)), "now": now}
    found = engine.fetch(
        f"SELECT 1 FROM ({_CANDIDATES}) AS c WHERE current_id IS NULL LIMIT 1", params
    )
    if not found:  # the common real-time case: not an MQL, or already owned
        return []
    given = {"snapshots": snapshots, "parts": parts, "copies": copies}
    return _route(engine, contract, version, params, now, given, reassign=False)


def reassign(
    engine: Engine,
    contract: Contract | CompiledContract,
    version: str,
    lead_ids: list[str],
    now: datetime,
) -> list[Assignment]:
    """Give MQLs to another rep (an SLA escalation): their current reps sit this batch out."""
    if contract_of(contract).routing is None or not lead_ids:
        return []
    params = {"ids": sorted(set(lead_ids)), "now": now}
    return _route(engine, contract, version, params, now, {}, reassign=True)


def _route(
    engine: Engine,
    contract: Contract | CompiledContract,
    version: str,
    params: dict[str, Any],
    now: datetime,
    given: dict[str, Any],  # build_briefs' snapshots / parts / copies, where known
    *,
    reassign: bool,
) -> list[Assignment]:
    terms = contract_of(contract)
    routing = terms.routing
    assert routing is not None
    with engine.transaction():
        # One router at a time (API workers on PostgreSQL): the candidates'
        # owners and each rule's round-robin pointer are read, then written.
        engine.lock("routing")
        # Temp tables are dropped on success; on an error the rollback removes them.
        wanted = "current_id IS NOT NULL" if reassign else "current_id IS NULL"
        engine.execute(
            f"CREATE TEMP TABLE _ll_rt_ids AS SELECT * FROM ({_CANDIDATES}) AS c WHERE {wanted}",
            params,
        )
        n = int(engine.scalar("SELECT count(*) FROM _ll_rt_ids") or 0)
        new: list[Assignment] = []
        if n:
            given = {
                **given,
                "snapshots": _candidates(engine, contract, version, now, given.get("snapshots")),
            }
            _reps(engine, terms, now, exclude_current=reassign)
            placed = _place(engine, routing.rules, n, now)
            if placed < n and not reassign:  # a reassignment that finds nobody keeps its rep
                _leftovers(engine, routing.fallback)
            new = _store(engine, version, now, reassign=reassign)
            if new:
                start_clocks(engine, terms, version, "_ll_rt_new", now)
                _notify(engine, contract, version, new, now, given, reassign=reassign)
        for name in ("_ll_rt_ids", *_TEMP):
            engine.execute(f"DROP TABLE IF EXISTS {name}")
    return new


def _candidates(
    engine: Engine,
    contract: Contract | CompiledContract,
    version: str,
    now: datetime,
    snapshots: str | None,
) -> str:
    """The batch's candidates with their priority, and every candidate's snapshot in
    ``_ll_rt_snap``: from ``snapshots`` when it has the lead, else scored now."""
    compiled = compiled_for(contract, version)
    columns = ", ".join(compiled.snapshot_columns)
    plan = snapshot_reference_sql(compiled)
    missing = [str(r[0]) for r in engine.fetch("SELECT lead_id FROM _ll_rt_ids")]
    if snapshots is not None:
        engine.execute(  # the latest row per lead, should the relation hold several
            f"""CREATE TEMP TABLE _ll_rt_snap AS SELECT {columns} FROM (
                SELECT s.*, row_number() OVER (PARTITION BY s.lead_id ORDER BY s.as_of DESC)
                    AS _rn
                FROM {snapshots} AS s WHERE s.lead_id IN (SELECT lead_id FROM _ll_rt_ids)
            ) AS s WHERE _rn = 1"""
        )
        have = {str(r[0]) for r in engine.fetch("SELECT lead_id FROM _ll_rt_snap")}
        missing = [i for i in missing if i not in have]
        if missing:
            engine.execute(
                f"INSERT INTO _ll_rt_snap SELECT {columns} FROM ({plan}) AS p",
                {"as_of": now, "lead_ids": missing},
            )
    else:
        engine.execute(
            f"CREATE TEMP TABLE _ll_rt_snap AS SELECT {columns} FROM ({plan}) AS p",
            {"as_of": now, "lead_ids": missing},
        )
    snapshots = "_ll_rt_snap"
    engine.execute(
        """CREATE TEMP TABLE _ll_rt_cand AS
        SELECT i.lead_id, i.mql_transition_id, i.mql_at,
               coalesce(i.current_id, i.unassigned_id) AS prev_id,
               i.unassigned_id, s.priority, s.grade,
               coalesce(s.priority_rank, 99) AS priority_rank
        FROM _ll_rt_ids AS i
        LEFT JOIN _ll_rt_snap AS s ON s.lead_id = i.lead_id"""
    )
    return snapshots


def _reps(engine: Engine, terms: Contract, now: datetime, *, exclude_current: bool) -> None:
    """Every rep with capacity, open MQLs and whether they work right now (their zone)."""
    calendar = Calendar.from_contract(terms)
    on_hours: list[str] = []
    for rep_id, zone in engine.fetch("SELECT rep_id, timezone FROM reps"):
        try:
            working = calendar.is_working(str(zone) if zone else None, now)
        except (KeyError, ValueError, OSError):  # unknown zone: the contract's own
            working = calendar.is_working(None, now)
        if working:
            on_hours.append(str(rep_id))
    excluded = "FALSE"
    if exclude_current:
        excluded = (
            "r.rep_id IN (SELECT x.rep_id FROM _ll_rt_ids AS i "
            "JOIN assignments AS x ON x.assignment_id = i.current_id)"
        )
    routing = terms.routing
    assert routing is not None
    engine.execute(
        f"""CREATE TEMP TABLE _ll_rt_reps AS
        SELECT r.rep_id, r.email, r.team, r.region,
               coalesce(r.active, TRUE) AND NOT ({excluded}) AS active,
               coalesce(r.capacity, $default_capacity) AS capacity,
               coalesce(o.open_mqls, 0) AS open_mqls,
               r.rep_id = ANY($on_hours) AS on_hours
        FROM reps AS r LEFT JOIN ({_OPEN_MQLS}) AS o ON o.rep_id = r.rep_id""",
        {
            "default_capacity": routing.default_capacity,
            "on_hours": on_hours or [""],
            "now": now,
        },
    )
    engine.execute(
        "CREATE TEMP TABLE _ll_rt_plan (lead_id VARCHAR, rep_id VARCHAR, rule VARCHAR, "
        "rule_index INTEGER, off_hours BOOLEAN, seq BIGINT)"
    )


def _place(engine: Engine, rule_list: list[Any], n: int, now: datetime) -> int:
    """Run the rules in order until every candidate is placed; returns how many were."""
    pointers = {
        str(k): str(v) for k, v in engine.fetch("SELECT rule, last_rep_id FROM routing_pointers")
    }
    placed = 0
    for index, rule in enumerate(rule_list):
        engine.execute(rules.place_sql(rule, index), {"pointer": pointers.get(rule.name, "")})
        last = engine.fetch(
            "SELECT rep_id, (SELECT count(*) FROM _ll_rt_plan) FROM _ll_rt_plan "
            "WHERE rule_index = ? ORDER BY seq DESC LIMIT 1",
            [index],
        )
        if not last:
            continue
        placed = int(last[0][1])
        if rule.round_robin is not None:
            engine.execute(
                "INSERT INTO routing_pointers (rule, last_rep_id, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (rule) DO UPDATE SET last_rep_id = excluded.last_rep_id, "
                "updated_at = excluded.updated_at",
                [rule.name, last[0][0], now],
            )
        if placed >= n:
            break
    return placed


def _leftovers(engine: Engine, fallback: str | None) -> None:
    """MQLs no rule placed go to the fallback rep, or are recorded once as unassigned."""
    left = "c.lead_id NOT IN (SELECT lead_id FROM _ll_rt_plan)"
    if fallback is not None:
        engine.execute(
            "INSERT INTO _ll_rt_plan SELECT c.lead_id, $rep, $rule, NULL, FALSE, NULL "
            f"FROM _ll_rt_cand AS c WHERE {left}",
            {"rep": fallback, "rule": FALLBACK},
        )
        return
    engine.execute(
        "INSERT INTO _ll_rt_plan SELECT c.lead_id, NULL, $rule, NULL, FALSE, NULL "
        f"FROM _ll_rt_cand AS c WHERE {left} AND c.unassigned_id IS NULL",
        {"rule": UNASSIGNED},
    )


def _store(engine: Engine, version: str, now: datetime, *, reassign: bool) -> list[Assignment]:
    engine.execute(
        f"""CREATE TEMP TABLE _ll_rt_new AS
        SELECT nextval('seq_assignment') AS assignment_id, q.* FROM (
            SELECT p.lead_id, p.rep_id, p.rule, p.rule_index, coalesce(p.off_hours, FALSE)
                       AS off_hours,
                   c.mql_transition_id, c.mql_at, c.priority, c.prev_id AS replaces,
                   {"$now" if reassign else "c.mql_at"} AS clock_start
            FROM _ll_rt_plan AS p JOIN _ll_rt_cand AS c ON c.lead_id = p.lead_id
            ORDER BY c.priority_rank, c.mql_at, c.lead_id
        ) AS q""",
        {"now": now},
    )
    reason = "sla_breach" if reassign else None
    engine.execute(
        """INSERT INTO assignments (assignment_id, lead_id, rep_id, rule, rule_index, off_hours,
            assigned_at, mql_transition_id, mql_at, priority, replaces, reason, contract_version)
        SELECT assignment_id, lead_id, rep_id, rule, rule_index, off_hours, $now,
            mql_transition_id, mql_at, priority, replaces, $reason, $version
        FROM _ll_rt_new""",
        {"now": now, "reason": reason, "version": version},
    )
    # The clocks of the assignment an MQL had before (unassigned, or a rep who
    # missed the SLA) stop; the new owner's clocks start below.
    engine.execute(
        "UPDATE sla_clocks SET stopped_at = $now, stopped_by = 'reassigned' "
        "WHERE stopped_at IS NULL AND assignment_id IN "
        "(SELECT replaces FROM _ll_rt_new WHERE replaces IS NOT NULL)",
        {"now": now},
    )
    rows = engine.fetch_dicts(
        """SELECT n.assignment_id, n.lead_id, n.rep_id, n.rule, n.priority, n.mql_at,
               n.off_hours, n.replaces, r.name AS rep_name, r.email AS rep_email
        FROM _ll_rt_new AS n LEFT JOIN reps AS r ON r.rep_id = n.rep_id
        ORDER BY n.assignment_id"""
    )
    return [
        Assignment(
            lead_id=str(r["lead_id"]),
            rep_id=r["rep_id"],
            rule=str(r["rule"]),
            assigned_at=now,
            assignment_id=int(r["assignment_id"]),
            rep_name=r["rep_name"],
            rep_email=r["rep_email"],
            priority=r["priority"],
            mql_at=r["mql_at"],
            off_hours=bool(r["off_hours"]),
            replaces=r["replaces"],
        )
        for r in rows
    ]


def _notify(
    engine: Engine,
    contract: Contract | CompiledContract,
    version: str,
    new: list[Assignment],
    now: datetime,
    given: dict[str, Any],
    *,
    reassign: bool,
) -> None:
    channels = Channels.from_contract(contract_of(contract))
    if channels.webhook is None and channels.email is None:
        return
    briefs = build_briefs(engine, contract, [a.lead_id for a in new], now, version=version, **given)
    kind = "mql_reassigned" if reassign else "mql_routed"
    messages: list[tuple[Assignment, OutboxMessage]] = []
    for a in new:
        brief = briefs.get(a.lead_id)
        if brief is None:
            continue
        refs: dict[str, Any] = {"lead_id": a.lead_id, "assignment_id": a.assignment_id}
        slack = brief.to_slack()
        if reassign:
            slack["text"] = f"Reassigned after an SLA breach: {slack['text']}"
        hook = channels.webhook_message(kind, slack, **refs)
        mail = channels.email_message(
            kind, brief.to_email(), channels.handoff_recipients(a.rep_email), **refs
        )
        messages += [(a, m) for m in (hook, mail) if m is not None]
    ids = enqueue(engine, [m for _, m in messages], now)
    for (a, _), notification_id in zip(messages, ids, strict=True):
        a.notifications.append(notification_id)


def owner_of(engine: Engine, lead_id: str) -> dict[str, Any] | None:
    """The lead's current owner (latest assignment) and the rule that chose them."""
    rows = engine.fetch_dicts(
        """SELECT x.assignment_id, x.lead_id, x.rep_id, r.name AS rep_name,
               r.email AS rep_email, x.rule, x.assigned_at, x.priority, x.mql_at,
               x.off_hours, x.replaces, x.reason, x.contract_version
        FROM assignments AS x LEFT JOIN reps AS r ON r.rep_id = x.rep_id
        WHERE x.lead_id = (SELECT coalesce(merged_into, lead_id) FROM leads WHERE lead_id = $lead
                           UNION ALL SELECT $lead LIMIT 1)
        ORDER BY x.assignment_id DESC LIMIT 1""",
        {"lead": lead_id},
    )
    return rows[0] if rows else None


def list_assignments(
    engine: Engine, *, rep: str | None = None, lead: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Assignments, newest first, optionally for one rep or lead."""
    where = []
    params: dict[str, Any] = {"limit": limit}
    if rep:
        where.append("(x.rep_id = $rep OR lower(r.email) = lower($rep))")
        params["rep"] = rep
    if lead:
        where.append("x.lead_id = $lead")
        params["lead"] = lead
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    return engine.fetch_dicts(
        f"""SELECT x.assignment_id, x.lead_id, x.rep_id, r.name AS rep_name, x.rule,
               x.priority, x.assigned_at, x.mql_at, x.off_hours, x.replaces, x.reason
        FROM assignments AS x LEFT JOIN reps AS r ON r.rep_id = x.rep_id
        {clause}
        ORDER BY x.assignment_id DESC LIMIT $limit""",
        params,
    )


def unrouted_mqls(engine: Engine, now: datetime) -> list[str]:
    """Leads that are MQLs now with no owner for that MQL (for ``leadline route``)."""
    rows = engine.fetch(
        """SELECT lead_id FROM (
            SELECT lead_id, transition_id, to_stage, row_number() OVER (
                PARTITION BY lead_id ORDER BY changed_at DESC, transition_id DESC) AS rn
            FROM stage_history WHERE changed_at <= $now
        ) AS h
        WHERE rn = 1 AND to_stage = 'mql' AND NOT EXISTS (
            SELECT 1 FROM assignments AS x
            WHERE x.mql_transition_id = h.transition_id AND x.rep_id IS NOT NULL)
        ORDER BY lead_id""",
        {"now": now},
    )
    return [str(r[0]) for r in rows]
