"""Lead views for people: the prioritised list and everything about one lead.

The list is the latest score run (finished by the as-of time) joined to each
lead's current stage and owner; the detail page adds the score explanation,
the stage history, a merged timeline of what the lead did and what sales did,
its deals, and the routing handoff brief when one was recorded.
"""

from __future__ import annotations

from typing import Any

from leadline.analytics.query import FieldProblem, ReportInputError, ReportQuery
from leadline.analytics.scope import (
    LATEST_RUN_SQL,
    lead_condition,
    lead_owner_sql,
    lead_scope,
)
from leadline.contract.schema import STAGES
from leadline.errors import NotFound
from leadline.lifecycle.history import STAGE_AS_OF_SQL, history_of
from leadline.store.base import Engine

SORTS: dict[str, str] = {
    "priority": "sn.priority_rank NULLS LAST, sn.score DESC NULLS LAST, l.lead_id",
    "score": "sn.score DESC NULLS LAST, l.lead_id",
    "newest": "l.created_at DESC NULLS LAST, l.lead_id",
    "fit": "sn.fit_points DESC NULLS LAST, sn.score DESC NULLS LAST, l.lead_id",
}
TIMELINE_LIMIT = 300


def lead_list(
    engine: Engine,
    query: ReportQuery,
    *,
    stage: str | None = None,
    search: str | None = None,
    sort: str = "priority",
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """One page of leads in priority order (or ``sort``), with the total that matched."""
    problems = []
    if sort not in SORTS:
        problems.append(FieldProblem("sort", f"use one of {', '.join(SORTS)}"))
    if stage is not None and stage not in STAGES:
        problems.append(FieldProblem("stage", f"use one of {', '.join(STAGES)}"))
    if not 1 <= limit <= 500:
        problems.append(FieldProblem("limit", "between 1 and 500"))
    if offset < 0:
        problems.append(FieldProblem("offset", "0 or more"))
    if problems:
        raise ReportInputError(problems)
    params = {**query.params(), "limit": limit, "offset": offset}
    joins, where = [], ["TRUE"]
    source = f"({lead_scope(query, engine)}) AS l"
    # the lead's own columns a search reads: `ld`, or the stage branch's rows themselves
    person = "ld"
    if stage is not None and stage != "lead":
        # leads in a later stage are few: start from them rather than from every lead
        kept = lead_condition(query, engine, "h.lead_id", window="created")
        source = f"""(SELECT sl.*, h.lead_id AS staged_id FROM ({STAGE_AS_OF_SQL}) AS h
            JOIN leads AS sl ON sl.lead_id = h.lead_id
            WHERE h.stage = $stage AND {kept}
        ) AS l"""
        person = "l"
        params["stage"] = stage
    elif stage is not None:
        joins.append(f"LEFT JOIN ({STAGE_AS_OF_SQL}) AS h ON h.lead_id = l.lead_id")
        where.append("h.stage IS NULL OR h.stage = 'lead'")
        params["stage"] = stage
    if search:
        if person == "ld":
            joins.append("JOIN leads AS ld ON ld.lead_id = l.lead_id")
        # In the stage branch the id test reads the stage side (`staged_id`), so the
        # text search cannot be pushed below the join: it runs on the few leads in the
        # stage, not on every lead.
        same = "l.staged_id" if person == "l" else "ld.lead_id"
        where.append(
            f"({same} = $search OR lower({person}.email) LIKE $like "
            f"OR lower({person}.company) LIKE $like OR lower({person}.last_name) LIKE $like "
            f"OR lower({person}.first_name) LIKE $like)"
        )
        params["search"] = search.strip()
        params["like"] = f"%{search.strip().lower()}%"
    matched = f"""SELECT l.lead_id, l.created_at, sn.priority_rank, sn.score, sn.fit_points
        FROM {source}
        LEFT JOIN score_snapshots AS sn ON sn.lead_id = l.lead_id AND sn.run_id = {LATEST_RUN_SQL}
        {" ".join(joins)}
        WHERE {" AND ".join(where)}"""
    order = SORTS[sort].replace("sn.", "l.")
    page: list[str] | None = None
    if stage is None and not search:
        total = int(
            engine.scalar(f"SELECT count(*) FROM ({lead_scope(query, engine)}) AS l", params) or 0
        )
        if sort != "newest":
            # Scored leads sort before unscored ones: the page usually comes straight from
            # the run's snapshots (a top-N over one table), not from a join over every lead.
            page = [
                str(r[0])
                for r in engine.fetch(
                    f"""SELECT sn.lead_id FROM score_snapshots AS sn
                    WHERE sn.run_id = {LATEST_RUN_SQL}
                      AND {lead_condition(query, engine, "sn.lead_id", window="created")}
                    ORDER BY {SORTS[sort].replace("l.lead_id", "sn.lead_id")}
                    LIMIT $limit OFFSET $offset""",
                    params,
                )
            ]
            if len(page) < limit:
                page = None  # the page reaches unscored leads: ask the general question
    elif stage != "lead" or search:
        # a later stage or a search matches few leads: one pass gives the page and the count
        found = engine.fetch(
            f"SELECT lead_id, count(*) OVER () AS total FROM ({matched}) AS l ORDER BY {order} "
            "LIMIT $limit OFFSET $offset",
            params,
        )
        page = [str(r[0]) for r in found]
        total = int(found[0][1]) if found else _count(engine, matched, params)
    else:
        total = _count(engine, matched, params)
    if page is None:
        page = [
            str(r[0])
            for r in engine.fetch(
                f"SELECT lead_id FROM ({matched}) AS l ORDER BY {order} "
                "LIMIT $limit OFFSET $offset",
                params,
            )
        ]
    rows = engine.fetch_dicts(
        f"""WITH page AS (SELECT unnest($ids) AS lead_id),
        stage_now AS (
            SELECT lead_id, to_stage AS stage FROM (
                SELECT lead_id, to_stage, row_number() OVER (
                    PARTITION BY lead_id ORDER BY changed_at DESC, transition_id DESC) AS rn
                FROM stage_history
                WHERE changed_at <= $as_of AND lead_id IN (SELECT lead_id FROM page)
            ) AS x WHERE rn = 1
        ),
        owner AS ({lead_owner_sql(engine, "SELECT lead_id FROM page")})
        SELECT l.lead_id, trim(coalesce(l.first_name, '') || ' ' || coalesce(l.last_name, ''))
                   AS name,
               l.email, l.company, l.title, l.channel, l.lead_source AS source,
               coalesce(st.stage, 'lead') AS stage, sn.grade, round(sn.score, 1) AS score,
               round(sn.fit_points, 1) AS fit, round(sn.engagement, 1) AS engagement,
               round(sn.intent, 1) AS intent, sn.priority, sn.priority_rank,
               sn.qualifies_mql, sn.mql_reason, sn.excluded_reason,
               ow.rep_id AS owner, r.name AS owner_name, l.created_at
        FROM page AS p JOIN leads AS l USING (lead_id)
        LEFT JOIN (
            -- only the page's snapshots (not a hash table of the whole run)
            SELECT * FROM score_snapshots
            WHERE run_id = {LATEST_RUN_SQL} AND lead_id IN (SELECT lead_id FROM page)
        ) AS sn ON sn.lead_id = l.lead_id
        LEFT JOIN stage_now AS st ON st.lead_id = l.lead_id
        LEFT JOIN owner AS ow ON ow.lead_id = l.lead_id
        LEFT JOIN reps AS r ON r.rep_id = ow.rep_id
        ORDER BY {SORTS[sort]}""",
        {**params, "ids": page},
    )
    return {"total": total, "limit": limit, "offset": offset, "sort": sort, "leads": rows}


def _count(engine: Engine, matched: str, params: dict[str, Any]) -> int:
    return int(engine.scalar(f"SELECT count(*) FROM ({matched}) AS m", params) or 0)


def score_parts(
    engine: Engine, lead_ids: list[str], as_of_params: dict[str, Any]
) -> dict[str, list[dict[str, Any]]]:
    """The stored score explanation of several leads (latest run), biggest parts first."""
    if not lead_ids:
        return {}
    rows = engine.fetch_dicts(
        f"""SELECT lead_id, component, rule, events, round(raw_points, 2) AS raw_points,
               round(capped_points, 2) AS capped_points, cap_applied,
               round(decay_factor, 3) AS decay_factor, round(points, 2) AS points, detail
        FROM score_parts
        WHERE run_id = {LATEST_RUN_SQL} AND list_contains($ids, lead_id)
        ORDER BY lead_id, abs(points) DESC, component, rule""",
        {**as_of_params, "ids": lead_ids},
    )
    out: dict[str, list[dict[str, Any]]] = {i: [] for i in lead_ids}
    for row in rows:
        out[row.pop("lead_id")].append(row)
    return out


def lead_detail(engine: Engine, lead_id: str, query: ReportQuery) -> dict[str, Any]:
    """Everything a rep or marketer needs on one page about one (surviving) lead."""
    params = query.params()
    found = engine.fetch_dicts(
        "SELECT coalesce(merged_into, lead_id) AS lead_id FROM leads WHERE lead_id = $id "
        "OR email = lower(trim($id)) ORDER BY (lead_id = $id) DESC LIMIT 1",
        {"id": lead_id},
    )
    if not found:
        raise NotFound(f"no lead with id or email {lead_id!r}")
    lead_id = str(found[0]["lead_id"])
    ids = {"lead": lead_id, **params}
    lead = engine.fetch_dicts(
        """SELECT l.lead_id, l.email, l.first_name, l.last_name, l.title, l.seniority,
               l.department, l.company, l.country, l.lead_source AS source, l.channel,
               l.campaign_id, c.name AS campaign, l.created_at, l.converted, l.attributes,
               a.account_id, a.name AS account, a.industry, a.employees, a.annual_revenue,
               a.country AS account_country, a.domain
        FROM leads AS l LEFT JOIN accounts AS a ON a.account_id = l.account_id
        LEFT JOIN campaigns AS c ON c.campaign_id = l.campaign_id
        WHERE l.lead_id = $lead""",
        ids,
    )[0]
    snapshot = engine.fetch_dicts(
        f"""SELECT run_id, as_of, contract_version, grade, round(fit_points, 1) AS fit,
               round(engagement, 1) AS engagement, round(intent, 1) AS intent,
               round(score, 1) AS score, priority, priority_rank, qualifies_mql, mql_reason,
               excluded_reason, trigger_rule
        FROM score_snapshots WHERE lead_id = $lead AND run_id = {LATEST_RUN_SQL}""",
        ids,
    )
    owner = engine.fetch_dicts(
        f"""SELECT ow.rep_id, ow.basis, r.name, r.email, r.team
        FROM ({lead_owner_sql(engine, "SELECT CAST($lead AS VARCHAR) AS lead_id")}) AS ow
        LEFT JOIN reps AS r ON r.rep_id = ow.rep_id""",
        ids,
    )
    # The lead and its merged duplicates as a list of parameters: a constant list lets
    # either store read just their rows of the big histories (an index, or DuckDB's
    # pushed-down filter) instead of semi-joining every activity against a subquery.
    members = [
        str(r[0])
        for r in engine.fetch(
            "SELECT lead_id FROM leads WHERE lead_id = $lead OR merged_into = $lead "
            "ORDER BY lead_id",
            {"lead": lead_id},
        )
    ] or [lead_id]
    ids.update({f"member{i}": member for i, member in enumerate(members)})
    among = "IN (" + ", ".join(f"$member{i}" for i in range(len(members))) + ")"
    timeline = engine.fetch_dicts(
        f"""SELECT * FROM (
            SELECT a.occurred_at AS happened_at, 'activity' AS kind, a.activity_type AS what,
                   coalesce(ct.title, a.url) AS detail, a.source
            FROM activities AS a LEFT JOIN content AS ct ON ct.content_id = a.content_id
            WHERE a.lead_id {among} AND a.occurred_at <= $as_of
            UNION ALL
            SELECT t.touched_at, 'touch', coalesce(t.touch_type, 'touch'),
                   coalesce(cm.name, t.campaign_id), t.source
            FROM touches AS t LEFT JOIN campaigns AS cm ON cm.campaign_id = t.campaign_id
            WHERE t.lead_id {among} AND t.touched_at <= $as_of
            UNION ALL
            SELECT d.decided_at, 'disposition', d.action,
                   concat_ws(' — ', d.reason, d.note, d.actor), d.source
            FROM dispositions AS d WHERE d.lead_id = $lead AND d.decided_at <= $as_of
            UNION ALL
            SELECT h.changed_at, 'stage', h.from_stage || ' → ' || h.to_stage,
                   concat_ws(' — ', h.reason, h.actor), h.source
            FROM stage_history AS h WHERE h.lead_id = $lead AND h.changed_at <= $as_of
        ) AS t ORDER BY happened_at DESC, kind LIMIT {TIMELINE_LIMIT}""",
        ids,
    )
    deals = engine.fetch_dicts(
        f"""SELECT opportunity_id, name, stage, amount, product, owner, created_at, closed_at
        FROM opportunities WHERE lead_id {among}
        ORDER BY created_at""",
        ids,
    )
    current = engine.fetch_dicts(
        f"SELECT stage FROM ({STAGE_AS_OF_SQL}) AS h WHERE lead_id = $lead", ids
    )
    parts = score_parts(engine, [lead_id], params)[lead_id] if snapshot else []
    return {
        "lead": lead,
        "stage": current[0]["stage"] if current else "lead",
        "score": snapshot[0] if snapshot else None,
        "parts": parts,
        "owner": owner[0] if owner else None,
        "history": history_of(engine, lead_id),
        "timeline": timeline,
        "opportunities": deals,
        "timeline_limit": TIMELINE_LIMIT,
    }
