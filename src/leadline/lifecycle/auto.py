"""Stage moves that follow from data, applied set-based after each score run.

* lead → mql when the snapshot says the lead qualifies;
* recycled → mql when the cooldown is over, the lead qualifies again and it
  did something new after it was recycled (no re-qualifying on old activity);
* account → mqa when the account roll-up qualifies (sticky: sales keep it);
* CRM facts: a lead whose opportunity was opened by T is in ``opportunity``
  (from any pre-pipeline stage, so "won deals that never were MQLs" stay
  visible), and ``won``/``lost`` once that opportunity closed.

When the caller says when the previous run looked (``since``), an MQL move
is dated at the lead's last activity inside ``(since, as_of]`` (the moment it
crossed the line: a score only rises on activity, decay only lowers it), so a
daily run does not make speed-to-lead look up to a day slower than it was.
Without ``since``, or when nothing happened in the window (a fit change), the
move is dated ``as_of``.

Each is one INSERT … SELECT over all leads, so a run over a million leads is
a handful of statements, not a loop.  Moves are only applied to leads whose
history has nothing later than T, so replaying an older T never writes a
history out of order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from leadline.contract.schema import Contract
from leadline.lifecycle.history import ACCOUNT_STAGE_AS_OF_SQL, STAGE_AS_OF_SQL
from leadline.lifecycle.moves import HISTORY_LOCK
from leadline.store.base import Engine
from leadline.store.lookups import keyed

_LAST_CHANGE = "(SELECT lead_id, max(changed_at) AS last_at FROM stage_history GROUP BY lead_id)"
_SURVIVOR_ACTIVITY = """(
    SELECT coalesce(l.merged_into, a.lead_id) AS lead_id, max(a.occurred_at) AS last_activity
    FROM activities AS a LEFT JOIN leads AS l ON l.lead_id = a.lead_id
    WHERE a.occurred_at <= $as_of
    GROUP BY 1
)"""

# The same three relations for a few known leads (the real-time path).  Each
# table is filtered on its lead column alone: a one-column key filter is what
# lets DuckDB read those leads' rows through the index instead of scanning
# every row (a second condition on the same scan would turn the index off, so
# the time bound moves into the aggregate).
_SCOPED_STAGE_AS_OF = """
SELECT lead_id, to_stage AS stage, changed_at
FROM (
    SELECT lead_id, to_stage, changed_at,
           row_number() OVER (
               PARTITION BY lead_id ORDER BY changed_at DESC, transition_id DESC
           ) AS rn
    FROM stage_history
    WHERE lead_id = ANY($lead_ids) AND changed_at <= $as_of
) AS h
WHERE rn = 1
"""
_SCOPED_LAST_CHANGE = """(SELECT lead_id, max(changed_at) AS last_at FROM stage_history
    WHERE lead_id = ANY($lead_ids) GROUP BY lead_id)"""


def _scoped_survivor_activity(
    engine: Engine, ids: list[str], copies: Mapping[str, str] | None
) -> tuple[str, dict[str, object]]:
    """Last activity per surviving lead, read for ``ids`` (and their duplicates) only."""
    if copies is not None:  # the rows are already copied: read them all, no lookups
        acts, leads, params = copies["activities"], copies["leads"], {}
    else:
        members = members_of(engine, ids)
        acts, a_params = keyed("lead_id, occurred_at", "activities", "lead_id", members, name="a")
        leads, l_params = keyed("lead_id, merged_into", "leads", "lead_id", members, name="l")
        acts, leads, params = f"({acts})", f"({leads})", {**a_params, **l_params}
    sql = f"""(
    SELECT coalesce(l.merged_into, a.lead_id) AS lead_id,
           max(CASE WHEN a.occurred_at <= $as_of THEN a.occurred_at END) AS last_activity
    FROM {acts} AS a
    LEFT JOIN {leads} AS l ON l.lead_id = a.lead_id
    GROUP BY 1
)"""
    return sql, params


_INSERT = (
    "INSERT INTO stage_history (transition_id, lead_id, from_stage, to_stage, changed_at, "
    "actor, reason, note, source, contract_version, score_run_id) "
)


@dataclass(frozen=True)
class AutoResult:
    to_mql: int
    requalified: int
    to_mqa: int
    to_opportunity: int
    closed: int
    mqls: tuple[str, ...] = ()  # the leads this run made MQLs (first time or again)

    @property
    def total(self) -> int:
        return self.to_mql + self.requalified + self.to_mqa + self.to_opportunity + self.closed


def schedule(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """The moments a replay visits: ``start``, every ``step`` after it, and ``end``.

    When the window is not a whole number of steps the end is visited too (a
    last, shorter step), so moves in its final days are not left out.  Used by
    ``Leadline.replay`` and the backtest alike.
    """
    steps = max(1, int((end - start) / step) + 1)
    moments = [min(start + step * i, end) for i in range(steps)]
    if moments[-1] < end:
        moments.append(end)
    return moments


def members_of(engine: Engine, lead_ids: Sequence[str]) -> list[str]:
    """The leads themselves and every lead merged into them (whose activity they own)."""
    if not lead_ids:
        return []
    own, params = keyed("lead_id", "leads", "lead_id", list(lead_ids))
    rows = engine.fetch(
        f"{own} UNION SELECT lead_id FROM leads WHERE merged_into = ANY($ids)",
        {**params, "ids": list(lead_ids)},
    )
    return sorted({str(r[0]) for r in rows} | set(lead_ids))


def _moved(engine: Engine, sql: str, params: dict[str, object]) -> list[str]:
    """Run one INSERT of moves; the leads it moved."""
    return [str(r[0]) for r in engine.fetch(sql + " RETURNING lead_id", params)]


def _count(engine: Engine, sql: str, params: dict[str, object]) -> int:
    return len(_moved(engine, sql, params))


def apply_auto_transitions(
    engine: Engine,
    contract: Contract,
    version: str,
    snapshots: str,
    as_of: datetime,
    run_id: int | None = None,
    *,
    crm_facts: bool = True,
    since: datetime | None = None,
    lead_ids: Sequence[str] | None = None,
    copies: Mapping[str, str] | None = None,
) -> AutoResult:
    """Apply every automatic move implied by ``snapshots`` (a table or subquery).

    ``lead_ids``: the (surviving) leads ``snapshots`` holds, when they are a
    few (real-time): history and activity are then read for those leads only
    instead of for the whole store. The moves are the same either way.
    ``copies`` may name ``leads`` and ``activities`` tables that already hold
    the rows of those leads and of the leads merged into them (the real-time
    copy the snapshots were scored on); their activity is then read there.
    """
    allowed = contract.stages.transitions
    params: dict[str, object] = {
        "as_of": as_of,
        "version": version,
        "run_id": run_id,
    }
    stage_as_of, last_change, survivor_activity = (
        STAGE_AS_OF_SQL,
        _LAST_CHANGE,
        _SURVIVOR_ACTIVITY,
    )
    mql_params = {**params, "since": since or as_of}
    if lead_ids is not None:
        ids = sorted(set(lead_ids))
        survivor_activity, lookups = _scoped_survivor_activity(engine, ids, copies)
        mql_params.update(lead_ids=ids, **lookups)
        stage_as_of, last_change = _SCOPED_STAGE_AS_OF, _SCOPED_LAST_CHANGE
    # The moment a lead qualified: its last activity in (since, as_of], never
    # before its last recorded change.
    qualified_at = (
        "greatest(CASE WHEN act.last_activity > $since THEN act.last_activity ELSE $as_of END, "
        "coalesce(lc.last_at, act.last_activity, $as_of))"
    )
    to_mql: list[str] = []
    requalified: list[str] = []
    to_mqa = 0
    with engine.transaction():
        engine.lock(HISTORY_LOCK)  # no single-lead move in between our reads and writes
        if "mql" in allowed.get("lead", []):
            to_mql = _moved(
                engine,
                _INSERT
                + f"""SELECT nextval('seq_transition'), s.lead_id, 'lead', 'mql', {qualified_at},
                    'leadline', s.mql_reason, NULL, 'score', $version, $run_id
                FROM {snapshots} AS s
                LEFT JOIN ({stage_as_of}) AS h ON h.lead_id = s.lead_id
                LEFT JOIN {last_change} AS lc ON lc.lead_id = s.lead_id
                LEFT JOIN {survivor_activity} AS act ON act.lead_id = s.lead_id
                WHERE s.qualifies_mql AND h.lead_id IS NULL
                  AND (lc.last_at IS NULL OR lc.last_at <= $as_of)""",
                mql_params,
            )
        if "mql" in allowed.get("recycled", []):
            cooldown = float(contract.stages.recycle.cooldown_days)
            cooled = f"h.changed_at + to_microseconds(CAST({cooldown} * 86400000000 AS BIGINT))"
            requalified = _moved(
                engine,
                _INSERT
                + f"""SELECT nextval('seq_transition'), s.lead_id, 'recycled', 'mql',
                    greatest({qualified_at}, {cooled}),
                    'leadline', 'requalified: ' || s.mql_reason, NULL, 'score', $version, $run_id
                FROM {snapshots} AS s
                JOIN ({stage_as_of}) AS h ON h.lead_id = s.lead_id AND h.stage = 'recycled'
                JOIN {last_change} AS lc ON lc.lead_id = s.lead_id
                JOIN {survivor_activity} AS act ON act.lead_id = s.lead_id
                WHERE s.qualifies_mql
                  AND lc.last_at <= $as_of
                  AND {cooled} <= $as_of
                  AND act.last_activity > h.changed_at""",
                mql_params,
            )
        if contract.stages.mqa is not None:
            to_mqa = len(
                engine.fetch(
                    f"""INSERT INTO account_stage_history (transition_id, account_id, from_stage,
                    to_stage, changed_at, actor, reason, contract_version, score_run_id)
                SELECT nextval('seq_transition'), q.account_id, 'account', 'mqa', $as_of,
                    'leadline', 'account roll-up qualifies', $version, $run_id
                FROM (SELECT DISTINCT account_id FROM {snapshots}
                      WHERE account_qualifies_mqa AND account_id IS NOT NULL) AS q
                LEFT JOIN ({ACCOUNT_STAGE_AS_OF_SQL}) AS h ON h.account_id = q.account_id
                WHERE h.account_id IS NULL OR h.stage <> 'mqa'
                RETURNING account_id""",
                    params,
                )
            )
        to_opportunity = closed = 0
        if crm_facts:
            to_opportunity, closed = apply_crm_facts(engine, version, as_of, run_id)
    return AutoResult(
        len(to_mql),
        len(requalified),
        to_mqa,
        to_opportunity,
        closed,
        tuple(sorted({*to_mql, *requalified})),
    )


def apply_crm_facts(
    engine: Engine, version: str, as_of: datetime, run_id: int | None = None
) -> tuple[int, int]:
    """Move leads into pipeline and to won/lost as their opportunities say."""
    params: dict[str, object] = {"as_of": as_of, "version": version, "run_id": run_id}
    opps = """(
        SELECT coalesce(l.merged_into, o.lead_id) AS lead_id,
               min(o.created_at) AS opened_at,
               bool_or(o.stage = 'won' AND o.closed_at <= $as_of) AS any_won,
               bool_and(o.stage IN ('won', 'lost') AND o.closed_at <= $as_of) AS all_closed,
               max(CASE WHEN o.closed_at <= $as_of THEN o.closed_at END) AS closed_at
        FROM opportunities AS o LEFT JOIN leads AS l ON l.lead_id = o.lead_id
        WHERE o.lead_id IS NOT NULL AND o.created_at <= $as_of
        GROUP BY 1
    )"""
    with engine.transaction():
        engine.lock(HISTORY_LOCK)  # no single-lead move in between our reads and writes
        opened = _count(
            engine,
            _INSERT
            + f"""SELECT nextval('seq_transition'), o.lead_id, coalesce(h.stage, 'lead'),
                'opportunity', greatest(o.opened_at, coalesce(lc.last_at, o.opened_at)),
                'crm', 'opportunity opened', NULL, 'crm', $version, $run_id
            FROM {opps} AS o
            JOIN leads AS l ON l.lead_id = o.lead_id
            LEFT JOIN ({STAGE_AS_OF_SQL}) AS h ON h.lead_id = o.lead_id
            LEFT JOIN {_LAST_CHANGE} AS lc ON lc.lead_id = o.lead_id
            WHERE coalesce(h.stage, 'lead') NOT IN ('opportunity', 'won', 'lost')
              AND (lc.last_at IS NULL OR lc.last_at <= $as_of)""",
            params,
        )
        closed = _count(
            engine,
            _INSERT
            + f"""SELECT nextval('seq_transition'), o.lead_id, 'opportunity',
                CASE WHEN o.any_won THEN 'won' ELSE 'lost' END,
                greatest(o.closed_at, lc.last_at),
                'crm', 'opportunity closed', NULL, 'crm', $version, $run_id
            FROM {opps} AS o
            JOIN ({STAGE_AS_OF_SQL}) AS h ON h.lead_id = o.lead_id AND h.stage = 'opportunity'
            JOIN {_LAST_CHANGE} AS lc ON lc.lead_id = o.lead_id
            WHERE (o.any_won OR o.all_closed) AND o.closed_at IS NOT NULL
              AND lc.last_at <= $as_of""",
            params,
        )
        return opened, closed
