"""Routing rules as SQL: which candidates a rule takes and which reps it can give them to.

Pure functions from the contract to SQL text (DuckDB dialect); nothing here
touches a database.  Each rule becomes one ``INSERT … SELECT`` into the batch's
plan table, so a batch of a thousand MQLs costs a statement per rule, not a
loop per lead.

Tables the statements read (created by :mod:`leadline.routing.assign`):

``_ll_rt_cand``  the MQLs to place: lead_id, priority, grade, priority_rank, mql_at
``_ll_rt_reps``  every rep: rep_id, email, team, region, active, capacity,
                 open_mqls (before this batch), on_hours (now, in the rep's zone)
``_ll_rt_plan``  placements so far: lead_id, rep_id, rule, rule_index, off_hours, seq
"""

from __future__ import annotations

from leadline.contract.schema import RepPool, RoutingRule
from leadline.scoring.common import lit
from leadline.scoring.fit import condition_sql


def _in(column: str, values: list[str], *, lower: bool = True) -> str:
    items = ", ".join(lit(v.lower() if lower else v) for v in values)
    col = f"lower({column})" if lower else column
    return f"coalesce({col} IN ({items}), FALSE)"


def candidates_sql(rule: RoutingRule) -> str:
    """The batch's unplaced MQLs this rule applies to, numbered in service order (``n``)."""
    where = ["c.lead_id NOT IN (SELECT lead_id FROM _ll_rt_plan)"]
    where += [condition_sql(cond) for cond in rule.when]
    if rule.priority:
        where.append(
            "("
            + _in("c.priority", rule.priority, lower=False)
            + " OR "
            + _in("c.grade", rule.priority, lower=False)
            + ")"
        )
    return f"""SELECT c.lead_id, a.owner AS account_owner,
           row_number() OVER (ORDER BY c.priority_rank, c.mql_at, c.lead_id) AS n
    FROM _ll_rt_cand AS c
    JOIN leads AS l ON l.lead_id = c.lead_id
    LEFT JOIN accounts AS a ON a.account_id = l.account_id
    WHERE {" AND ".join(where)}"""


# Room left for a rep in this batch: capacity minus open MQLs minus what this batch gave.
ROOM = """(r.capacity - r.open_mqls - coalesce(
    (SELECT count(*) FROM _ll_rt_plan AS p WHERE p.rep_id = r.rep_id), 0))"""


def _eligible(rule: RoutingRule) -> str:
    where = ["r.active"]
    if rule.working_hours_only:
        where.append("r.on_hours")
    return " AND ".join(where)


def _room(rule: RoutingRule, slot: str) -> str:
    """Whether slot number ``slot`` of a rep still fits its capacity."""
    if not rule.honour_capacity:
        return "TRUE"
    return f"(r.capacity IS NULL OR {slot} <= {ROOM})"


def pool_sql(pool: RepPool) -> str:
    where = []
    if pool.reps is not None:
        where.append(
            "(" + _in("r.rep_id", pool.reps, lower=False) + " OR " + _in("r.email", pool.reps) + ")"
        )
    if pool.team is not None:
        where.append(_in("r.team", pool.team))
    if pool.region is not None:
        where.append(_in("r.region", pool.region))
    return " AND ".join(where) or "TRUE"


def place_sql(rule: RoutingRule, index: int) -> str:
    """``INSERT INTO _ll_rt_plan`` for one rule (``$pointer``: the rule's last rep)."""
    head = (
        "INSERT INTO _ll_rt_plan (lead_id, rep_id, rule, rule_index, off_hours, seq) "
        f"WITH cand AS ({candidates_sql(rule)}), "
    )
    name = lit(rule.name)
    if rule.to == "account_owner":
        return (
            head
            + f"""owned AS (
            SELECT cand.lead_id, cand.n, r.rep_id, r.on_hours,
                   row_number() OVER (PARTITION BY r.rep_id ORDER BY cand.n) AS k,
                   row_number() OVER (PARTITION BY cand.lead_id
                                      ORDER BY (r.rep_id = cand.account_owner) DESC,
                                               r.rep_id) AS pick
            FROM cand JOIN _ll_rt_reps AS r
              ON r.rep_id = cand.account_owner OR lower(r.email) = lower(cand.account_owner)
            WHERE {_eligible(rule)}
        )
        SELECT o.lead_id, o.rep_id, {name}, {index}, NOT o.on_hours, o.n
        FROM owned AS o JOIN _ll_rt_reps AS r ON r.rep_id = o.rep_id
        WHERE o.pick = 1 AND {_room(rule, "o.k")}"""
        )
    assert rule.round_robin is not None
    # Slot k of the rep at position pos serves the (k-1)·|pool|+pos-th lead:
    # reps on hours first, then turns, starting after the stored pointer.
    return (
        head
        + f"""pool AS (
            SELECT r.rep_id, r.on_hours,
                   row_number() OVER (ORDER BY (r.rep_id <= $pointer), r.rep_id) AS pos
            FROM _ll_rt_reps AS r
            WHERE {_eligible(rule)} AND {pool_sql(rule.round_robin)}
        ), slots AS (
            SELECT pool.rep_id, pool.on_hours,
                   row_number() OVER (ORDER BY (NOT pool.on_hours), k.n, pool.pos) AS n
            FROM pool
            JOIN _ll_rt_reps AS r ON r.rep_id = pool.rep_id
            JOIN (SELECT n FROM cand) AS k ON {_room(rule, "k.n")}
        )
        SELECT cand.lead_id, slots.rep_id, {name}, {index}, NOT slots.on_hours, cand.n
        FROM cand JOIN slots ON slots.n = cand.n"""
    )
