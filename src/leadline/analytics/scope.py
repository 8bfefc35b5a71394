"""The SQL pieces every report shares: which leads and deals it looks at, and how far they got.

Reports are single statements built from these common table expressions, so a
"lead", an "MQL", a "won deal" or "the rep" means the same thing in every report:

* ``scope``: surviving (not merged) leads that existed by ``$as_of`` and match
  the segment; optionally only those created inside the date window;
* ``progress``: per lead, the furthest funnel stage reached by ``$as_of`` and when
  each stage was first reached, from the append-only stage history;
* ``lead_deals``: opportunities keyed to their (surviving) lead, created by
  ``$as_of``, with won/lost as known at ``$as_of``;
* ``deals``: opportunities for deal-level reports (with or without a lead);
* ``owner``: one rep per lead (see :func:`lead_owner_sql`).

All SQL is DuckDB-dialect text with ``$name`` parameters from
:meth:`ReportQuery.params`; engines for other dialects transpile it.
"""

from __future__ import annotations

from leadline.analytics.query import ATTRIBUTE_KEY, ReportQuery
from leadline.store.base import Engine

FUNNEL: tuple[str, ...] = ("lead", "mql", "sal", "sql", "opportunity", "won")
# Stages a lead reached imply the funnel stages before them: a deal the CRM
# opened for a lead that never was an MQL still counts as pipeline.
RANK: dict[str, int] = {
    "mql": 1,
    "rejected": 1,
    "recycled": 1,
    "sal": 2,
    "sql": 3,
    "opportunity": 4,
    "lost": 4,
    "won": 5,
}
RANK_CASE = (
    "CASE to_stage " + " ".join(f"WHEN '{s}' THEN {r}" for s, r in RANK.items()) + " ELSE 0 END"
)

# Merged duplicates and their survivors: a small table, so histories (activities,
# touches, deals) resolve their lead with a cheap join instead of one on every lead.
MERGED = "(SELECT lead_id AS merged_id, merged_into FROM leads WHERE merged_into IS NOT NULL)"

LATEST_RUN_SQL = (
    "(SELECT max(run_id) FROM score_runs WHERE finished_at IS NOT NULL AND as_of <= $as_of)"
)

# A rep named by id, name or e-mail.
REP_MATCH = "(SELECT rep_id FROM reps WHERE $rep IN (rep_id, name, email) UNION ALL SELECT $rep)"


def lead_owner_sql(engine: Engine, leads: str | None = None) -> str:
    """One row per lead: the rep who owns it as of ``$as_of``, and how we know.

    ``leads`` (a ``SELECT`` of ``lead_id``s, e.g. ``"SELECT $lead"`` or
    ``"SELECT lead_id FROM page"``) limits the work to those leads.

    First that applies: the latest routing assignment, the owner of the lead's
    latest opportunity, the rep who last dispositioned it (an e-mail, mapped to
    the rep), its account's owner. A source is only read for leads no earlier
    source already owns (a lead with an assignment never needs its deals,
    verdicts or account looked at), so the final ranking sorts few rows and
    accounts are looked up only for the leads still without an owner.
    """
    only = f" AND {{lead}} IN ({leads})" if leads else ""
    sources = [
        (
            "SELECT lead_id, rep_id, 1 AS priority, assigned_at AS seen_at, "
            "'assignment' AS basis FROM assignments "
            "WHERE assigned_at <= $as_of AND rep_id IS NOT NULL" + only.format(lead="lead_id"),
            "SELECT 1 FROM assignments AS xa WHERE xa.lead_id = {lead} "
            "AND xa.assigned_at <= $as_of AND xa.rep_id IS NOT NULL",
        ),
        (
            "SELECT coalesce(mg.merged_into, o.lead_id) AS lead_id, o.owner AS rep_id, "
            "2 AS priority, o.created_at AS seen_at, 'opportunity' AS basis "
            f"FROM opportunities AS o LEFT JOIN {MERGED} AS mg ON mg.merged_id = o.lead_id "
            "WHERE o.lead_id IS NOT NULL AND o.owner IS NOT NULL AND o.created_at <= $as_of"
            + only.format(lead="coalesce(mg.merged_into, o.lead_id)"),
            "SELECT 1 FROM opportunities AS xo "
            f"LEFT JOIN {MERGED} AS xm ON xm.merged_id = xo.lead_id "
            "WHERE coalesce(xm.merged_into, xo.lead_id) = {lead} AND xo.owner IS NOT NULL "
            "AND xo.created_at <= $as_of",
        ),
        (
            "SELECT d.lead_id, coalesce(r.rep_id, d.actor) AS rep_id, 3 AS priority, "
            "d.decided_at AS seen_at, 'disposition' AS basis "
            "FROM dispositions AS d LEFT JOIN reps AS r ON lower(r.email) = lower(d.actor) "
            "WHERE d.actor IS NOT NULL AND d.decided_at <= $as_of" + only.format(lead="d.lead_id"),
            "SELECT 1 FROM dispositions AS xd WHERE xd.lead_id = {lead} "
            "AND xd.actor IS NOT NULL AND xd.decided_at <= $as_of",
        ),
    ]
    leads_by_id = {0: "lead_id", 1: "coalesce(mg.merged_into, o.lead_id)", 2: "d.lead_id"}
    parts = []
    for i, (select, _) in enumerate(sources):
        parts.append(
            select
            + "".join(
                f" AND NOT EXISTS ({exists.format(lead=leads_by_id[i])})"
                for _, exists in sources[:i]
            )
        )
    # the account's owner, for the leads none of the above owns: they are found first,
    # so the accounts are joined to those few leads rather than to every lead
    unowned = "".join(
        f" AND NOT EXISTS ({exists.format(lead='u.lead_id')})" for _, exists in sources
    )
    parts.append(
        "SELECT l.lead_id, a.owner AS rep_id, 4 AS priority, NULL AS seen_at, "
        f"'account' AS basis FROM (SELECT u.lead_id FROM ({leads or 'SELECT lead_id FROM leads'})"
        f" AS u WHERE TRUE{unowned}) AS need "
        "JOIN leads AS l ON l.lead_id = need.lead_id "
        "JOIN accounts AS a ON a.account_id = l.account_id WHERE a.owner IS NOT NULL"
    )
    union = " UNION ALL ".join(parts)
    return f"""SELECT lead_id, rep_id, basis FROM (
        SELECT lead_id, rep_id, basis, row_number() OVER (
            PARTITION BY lead_id ORDER BY priority, seen_at DESC NULLS LAST, rep_id) AS rn
        FROM ({union}) AS c
    ) AS o WHERE rn = 1"""


def group_key(by: str, alias: str = "l") -> str:
    """The SQL for a lead grouping: channel, campaign, source, country or attributes.KEY."""
    simple = {
        "channel": f"{alias}.channel",
        "campaign": f"{alias}.campaign_id",
        "source": f"{alias}.lead_source",
        "country": f"{alias}.country",
    }
    if by in simple:
        return f"coalesce({simple[by]}, '(none)')"
    match = ATTRIBUTE_KEY.match(by)
    if not match:
        raise ValueError(f"cannot group leads by {by!r}")
    return f"coalesce(json_extract_string({alias}.attributes, '$.{match.group(1)}'), '(none)')"


def lead_scope(
    q: ReportQuery, engine: Engine, *, window: str | None = "created", key: str | None = None
) -> str:
    """``SELECT`` of the leads a report looks at.

    ``window="created"`` keeps leads created inside ``[start, end)`` (a window
    excludes leads without a creation time); ``None`` ignores the window here
    (the report applies it to its own event, e.g. the MQL date). ``key`` adds
    the lead's group (:func:`group_key`) as a ``key`` column; nothing else wide
    is carried, so joins over a million leads stay narrow.
    """
    seg = q.segment
    where = [
        "l.merged_into IS NULL",
        "(l.created_at IS NULL OR l.created_at <= $as_of)",
    ]
    if window == "created":
        if q.start is not None:
            where.append("l.created_at >= $start")
        if q.end is not None:
            where.append("l.created_at < $end")
    if seg.channel is not None:
        where.append("l.channel = $channel")
    if seg.campaign is not None:
        where.append("l.campaign_id = $campaign")
    if seg.source is not None:
        where.append("l.lead_source = $source")
    if seg.grade is not None:
        where.append(
            "l.lead_id IN (SELECT lead_id FROM score_snapshots "
            f"WHERE run_id = {LATEST_RUN_SQL} AND grade = $grade)"
        )
    if seg.rep is not None:
        where.append(
            f"l.lead_id IN (SELECT lead_id FROM ({lead_owner_sql(engine)}) AS ow "
            f"WHERE ow.rep_id IN {REP_MATCH})"
        )
    if seg.product is not None:
        where.append(
            "l.lead_id IN (SELECT coalesce(pm.merged_into, po.lead_id) FROM opportunities AS po "
            f"LEFT JOIN {MERGED} AS pm ON pm.merged_id = po.lead_id "
            "WHERE po.product = $product AND po.created_at <= $as_of)"
        )
    grouped = f", {group_key(key)} AS key" if key else ""
    return f"""SELECT l.lead_id, l.created_at, coalesce(l.converted, false) AS flagged_converted
        {grouped}
    FROM leads AS l WHERE {" AND ".join(where)}"""


def lead_condition(
    q: ReportQuery, engine: Engine, column: str, *, window: str | None = None
) -> str:
    """A condition keeping rows (events, snapshots) whose lead ``column`` is in the scope.

    Without a segment or a creation window the scope is every surviving lead
    that existed by the as-of time; that is said with two small anti-joins
    instead of a join on every lead, which is what keeps event reports fast.
    """
    windowed = window == "created" and (q.start is not None or q.end is not None)
    if q.segment.empty and not windowed:
        return (
            f"({column} NOT IN (SELECT merged_id FROM {MERGED} AS m) AND {column} NOT IN "
            "(SELECT lead_id FROM leads WHERE created_at > $as_of))"
        )
    return f"{column} IN (SELECT lead_id FROM ({lead_scope(q, engine, window=window)}) AS sc)"


PROGRESS_SQL = f"""SELECT lead_id,
        max({RANK_CASE}) AS best_rank,
        min(changed_at) FILTER (WHERE to_stage = 'mql') AS mql_at,
        min(changed_at) FILTER (WHERE to_stage = 'sal') AS sal_at,
        min(changed_at) FILTER (WHERE to_stage = 'sql') AS sql_at,
        min(changed_at) FILTER (WHERE to_stage = 'opportunity') AS opp_at,
        min(changed_at) FILTER (WHERE to_stage = 'won') AS won_at,
        min(changed_at) FILTER (WHERE to_stage = 'lost') AS lost_at,
        count(*) FILTER (WHERE to_stage = 'rejected') > 0 AS was_rejected,
        count(*) FILTER (WHERE to_stage = 'recycled') > 0 AS was_recycled
    FROM stage_history WHERE changed_at <= $as_of GROUP BY lead_id"""

LEAD_DEALS_SQL = f"""SELECT o.opportunity_id, coalesce(mg.merged_into, o.lead_id) AS lead_id,
        o.amount, o.product, o.owner, o.created_at, o.closed_at,
        o.stage = 'won' AND coalesce(o.closed_at <= $as_of, true) AS is_won,
        o.stage = 'lost' AND coalesce(o.closed_at <= $as_of, true) AS is_lost
    FROM opportunities AS o LEFT JOIN {MERGED} AS mg ON mg.merged_id = o.lead_id
    WHERE o.lead_id IS NOT NULL AND (o.created_at IS NULL OR o.created_at <= $as_of)"""


def deal_scope(q: ReportQuery, engine: Engine, *, channel: bool = False) -> str:
    """``SELECT`` of the opportunities a deal-level report looks at.

    The window applies to when the deal was created (engaged); ``rep`` is the
    deal owner, ``product`` its product; lead filters (channel, campaign,
    source, grade) match through the deal's lead, so deals without a lead only
    appear when no lead filter is set.

    ``channel`` adds the channel of the deal's lead; without it the column is
    empty and no lead is read, since looking up each deal's lead means probing
    every lead (merged duplicates resolve through the small :data:`MERGED`).
    """
    seg = q.segment
    where = ["(o.created_at IS NULL OR o.created_at <= $as_of)"]
    if q.start is not None:
        where.append("o.created_at >= $start")
    if q.end is not None:
        where.append("o.created_at < $end")
    if seg.rep is not None:
        where.append(f"o.owner IN {REP_MATCH}")
    if seg.product is not None:
        where.append("o.product = $product")
    if seg.lead_filters:
        lead_seg = ReportQuery(
            as_of=q.at,
            segment=type(seg)(
                channel=seg.channel, campaign=seg.campaign, source=seg.source, grade=seg.grade
            ),
        )
        where.append(
            f"coalesce(mg.merged_into, o.lead_id) IN (SELECT lead_id FROM "
            f"({lead_scope(lead_seg, engine, window=None)}) AS sl)"
        )
    lead_join = "LEFT JOIN leads AS l ON l.lead_id = o.lead_id" if channel else ""
    return f"""SELECT o.opportunity_id, coalesce(mg.merged_into, o.lead_id) AS lead_id,
        o.account_id, o.amount, o.product, o.owner, o.created_at, o.closed_at,
        CASE WHEN o.stage IN ('won', 'lost') AND coalesce(o.closed_at <= $as_of, true)
             THEN o.stage ELSE 'open' END AS outcome,
        {"l.channel" if channel else "CAST(NULL AS VARCHAR)"} AS channel
    FROM opportunities AS o LEFT JOIN {MERGED} AS mg ON mg.merged_id = o.lead_id
    {lead_join}
    WHERE {" AND ".join(where)}"""


def ratio(numerator: str, denominator: str, digits: int = 4) -> str:
    """``numerator / denominator`` rounded, NULL when there is nothing to divide by."""
    return (
        f"CASE WHEN ({denominator}) > 0 THEN "
        f"round(CAST({numerator} AS DOUBLE) / ({denominator}), {digits}) END"
    )


# Outcomes a lead can be judged by, over ``scope AS s LEFT JOIN progress AS p``.
OUTCOMES: dict[str, str] = {
    # reached pipeline in leadline's stage history, or flagged converted by its source
    "converted": "(coalesce(p.best_rank >= 4, false) OR coalesce(s.flagged_converted, false))",
    "won": "coalesce(p.best_rank = 5, false)",
}
