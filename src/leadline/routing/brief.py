"""The handoff brief: what a rep reads in 20 seconds before calling an MQL.

Why it qualified (the verdict and its biggest score parts), who it is and how
well it fits, what it read (content titles, topics and journey stage, pages),
which BANT answers are still missing, and what else is going on at the
account (other engaged contacts, open opportunities, past verdicts).

:func:`build_briefs` gathers all of that for many leads in a fixed number of
set-based queries; :func:`build_brief` is the one-lead case.  Rendering to
JSON, Slack blocks and e-mail lives in :mod:`leadline.routing.render`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import sqlglot

from leadline.contract.compiler import CompiledContract
from leadline.contract.schema import Contract
from leadline.errors import NotFound
from leadline.routing import render
from leadline.routing.scores import (
    compiled_for,
    contract_of,
    lead_parts,
    lead_scores,
    lead_snapshots,
    order_parts,
)
from leadline.store.base import Engine
from leadline.store.lookups import keyed

RECENT_ACTIVITIES = 10
OTHER_CONTACTS = 5
PAST_DISPOSITIONS = 5
TOP_REASONS = 5
# Activities that say little about what someone is interested in.
NOISE = ("email_open", "email_bounce", "site_visit_summary")
BANT_QUESTIONS = {
    "budget": "Is money set aside for this, and who controls it?",
    "authority": "Who else signs off, and how are decisions like this made?",
    "need": "What problem would this solve, and what happens if nothing changes?",
    "timeline": "When does this need to be live, and what drives that date?",
}
STAGE_ORDER = {"problem": 1, "solution": 2, "product": 3}


@dataclass
class Brief:
    """Everything a rep needs about one MQL, as of one moment."""

    lead_id: str
    as_of: datetime
    contract_version: str
    lead: dict[str, Any]
    account: dict[str, Any] | None
    verdict: dict[str, Any]
    reasons: list[dict[str, Any]] = field(default_factory=list)
    fit: list[dict[str, Any]] = field(default_factory=list)
    topics: list[dict[str, Any]] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    bant: dict[str, Any] = field(default_factory=dict)
    other_contacts: list[dict[str, Any]] = field(default_factory=list)
    open_opportunities: list[dict[str, Any]] = field(default_factory=list)
    past_dispositions: list[dict[str, Any]] = field(default_factory=list)
    owner: dict[str, Any] | None = None
    sla: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return render.person_name(self.lead)

    def to_dict(self) -> dict[str, Any]:
        return render.to_dict(self)

    def to_slack(self) -> dict[str, Any]:
        return render.to_slack(self)

    def to_email(self) -> tuple[str, str, str]:
        return render.to_email(self)

    def to_text(self) -> str:
        return render.to_text(self)


def build_brief(
    engine: Engine, contract: Contract | CompiledContract, lead_id: str, as_of: datetime
) -> Brief:
    """One lead's brief; raises NotFound when the lead is unknown or not scored by ``as_of``."""
    briefs = build_briefs(engine, contract, [lead_id], as_of)
    if lead_id not in briefs:
        raise NotFound(
            f"lead {lead_id!r} is not scored as of {as_of.isoformat()} "
            "(unknown, merged into another lead, or created later)"
        )
    return briefs[lead_id]


def build_briefs(
    engine: Engine,
    contract: Contract | CompiledContract,
    lead_ids: list[str],
    as_of: datetime,
    *,
    version: str | None = None,
    snapshots: str | None = None,
    parts: str | None = None,
    copies: Mapping[str, str] | None = None,
) -> dict[str, Brief]:
    """Briefs for many leads, keyed by lead id, from a fixed number of queries.

    ``snapshots`` / ``parts`` may name tables or subqueries that already hold
    the leads' score snapshot and parts as of ``as_of`` (a batch run's rows);
    otherwise they are computed now with the compiled plan.  ``copies`` may
    name ``leads`` and ``activities`` tables holding at least the rows of the
    leads, the leads merged into them and their colleagues (the real-time
    copy, which has them already): reading them again from the store is
    index lookups.
    """
    leads_from = copies["leads"] if copies else "leads"
    ids = sorted(set(lead_ids))
    if not ids:
        return {}
    compiled = compiled_for(contract, version)
    terms = contract_of(contract)
    if snapshots is None and parts is None:  # score them now, from one copy of their rows
        snaps, parts_by_lead = lead_scores(engine, compiled, as_of, ids)
    else:
        snaps, parts_by_lead = _given_scores(engine, compiled, as_of, ids, snapshots, parts)
    ids = [i for i in ids if i in snaps]
    if not ids:
        return {}
    lookback = terms.intent.lookback_days if terms.intent else 90.0
    params: dict[str, Any] = {
        "ids": ids,
        "as_of": as_of,
        "since": as_of - timedelta(days=float(lookback)),
    }
    with engine.transaction():  # one reader of the temp tables at a time on a shared connection
        base = {r["lead_id"]: r for r in _rows(engine, _BASE_SQL, params)}
        owners = {r["lead_id"]: r for r in _rows(engine, _OWNER_SQL, params)}
        members_sql = _MEMBERS_SQL.format(leads=leads_from)
        engine.execute(f"CREATE TEMP TABLE _ll_brief_members AS {members_sql}", params)
        members = [str(r[0]) for r in engine.fetch("SELECT member FROM _ll_brief_members")]
        raw, raw_params = _lookup(_RAW_ACTS, "activities", copies, members, "m")
        engine.execute(f"CREATE TEMP TABLE _ll_brief_raw AS {raw}", raw_params)
        engine.execute(f"CREATE TEMP TABLE _ll_brief_acts AS {_ACTS}", params)
        acts = _group(_rows(engine, _ACTIVITIES_SQL, params))
        topics = _group(_rows(engine, _TOPICS_SQL, params))
        pages = _group(_rows(engine, _PAGES_SQL, params))
        for name in ("_ll_brief_acts", "_ll_brief_raw", "_ll_brief_members"):
            engine.execute(f"DROP TABLE IF EXISTS {name}")
        colleagues_sql = _COLLEAGUES_SQL.format(leads=leads_from)
        colleagues = [str(r[0]) for r in engine.fetch(colleagues_sql, params)]
        quals = {r["lead_id"]: r for r in _rows(engine, _QUALIFICATION_SQL, params)}
        contacts = _group(_rows(engine, *_contacts_sql(colleagues, copies, params)))
        opps = _group(_rows(engine, _OPPORTUNITIES_SQL, params))
        verdicts = _group(_rows(engine, _DISPOSITIONS_SQL.format(leads=leads_from), params))
        clocks = _group(_rows(engine, _CLOCKS_SQL, params))
    requires: list[str] = list(terms.stages.sql.requires)
    out: dict[str, Brief] = {}
    for lead_id in ids:
        row = base.get(lead_id, {"lead_id": lead_id})
        lead = {k: row.get(k) for k in _LEAD_KEYS}
        account = {k.removeprefix("account_"): row.get(k) for k in _ACCOUNT_KEYS}
        lead_parts_ = parts_by_lead.get(lead_id, [])
        out[lead_id] = Brief(
            lead_id=lead_id,
            as_of=as_of,
            contract_version=compiled.version,
            lead=lead,
            account=account if row.get("account_id") else None,
            verdict=_verdict(snaps[lead_id]),
            reasons=_reasons(lead_parts_),
            fit=[_part(p) for p in lead_parts_ if p["component"] == "fit"],
            topics=[_topic(t) for t in topics.get(lead_id, [])],
            pages=pages.get(lead_id, []),
            activities=[_activity(a) for a in acts.get(lead_id, [])],
            bant=_bant(requires, quals.get(lead_id)),
            other_contacts=contacts.get(lead_id, []),
            open_opportunities=opps.get(lead_id, []),
            past_dispositions=verdicts.get(lead_id, []),
            owner=_owner(owners.get(lead_id)),
            sla=clocks.get(lead_id, []),
        )
    return out


def _given_scores(
    engine: Engine,
    compiled: CompiledContract,
    as_of: datetime,
    ids: list[str],
    snapshots: str | None,
    parts: str | None,
) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Scores from the relations a caller passed (a batch run's rows, a real-time
    re-score); leads missing from them are scored now."""
    snaps: dict[str, dict[str, Any]] = {}
    if snapshots is not None:
        rows = engine.fetch_dicts(
            f"SELECT * FROM {snapshots} AS s WHERE s.lead_id = ANY($ids)", {"ids": ids}
        )
        snaps = {str(r["lead_id"]): r for r in rows}
    snaps.update(lead_snapshots(engine, compiled, as_of, [i for i in ids if i not in snaps]))
    ids = [i for i in ids if i in snaps]
    parts_by_lead: dict[str, list[dict[str, Any]]] = {}
    if parts is not None:
        part_rows = engine.fetch_dicts(
            f"SELECT * FROM {parts} AS p WHERE p.lead_id = ANY($ids)", {"ids": ids}
        )
        parts_by_lead = order_parts(part_rows)
    missing = [i for i in ids if i not in parts_by_lead]
    parts_by_lead.update(lead_parts(engine, compiled, as_of, missing))
    return snaps, parts_by_lead


# -- shaping rows ---------------------------------------------------------------

_LEAD_KEYS = (
    "lead_id",
    "email",
    "first_name",
    "last_name",
    "title",
    "seniority",
    "department",
    "company",
    "country",
    "lead_source",
    "channel",
    "created_at",
)
_ACCOUNT_KEYS = (
    "account_id",
    "account_name",
    "account_domain",
    "account_industry",
    "account_employees",
    "account_annual_revenue",
    "account_country",
    "account_region",
    "account_owner",
)


def _group(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        key = str(row.pop("for_lead"))
        out[key].append(row)
    return out


def _round(value: Any) -> Any:
    return round(float(value), 1) if isinstance(value, int | float) else value


def _verdict(snap: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "qualifies_mql",
        "mql_reason",
        "priority",
        "grade",
        "score",
        "fit_points",
        "engagement",
        "intent",
        "trigger_rule",
        "excluded_reason",
        "account_score",
        "account_engaged_contacts",
    )
    return {k: _round(snap.get(k)) if k != "qualifies_mql" else snap.get(k) for k in keys}


def _part(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "component": p["component"],
        "rule": p["rule"],
        "points": round(float(p["points"]), 1),
        "events": p.get("events"),
        "detail": p.get("detail"),
    }


def _reasons(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The trigger that fired, then the biggest positive behaviour parts (fit is apart)."""
    triggers = [p for p in parts if p["component"] == "trigger"]
    rest = sorted(
        (p for p in parts if p["component"] not in ("fit", "trigger") and p["points"] > 0),
        key=lambda p: -p["points"],
    )
    return [_part(p) for p in [*triggers, *rest][:TOP_REASONS]]


def _topic(t: dict[str, Any]) -> dict[str, Any]:
    furthest = int(t.pop("furthest") or 0)
    stage = next((s for s, n in STAGE_ORDER.items() if n == furthest), None)
    return {**t, "furthest_stage": stage}


def _activity(a: dict[str, Any]) -> dict[str, Any]:
    topics = a.get("topics")
    return {**a, "topics": list(topics) if topics else []}


def _bant(requires: list[str], row: dict[str, Any] | None) -> dict[str, Any]:
    known = {
        k: row[k]
        for k in ("budget", "authority", "need", "timeline")
        if row and row.get(k) not in (None, "")
    }
    gaps = [k for k in requires if k not in known]
    return {
        "known": known,
        "gaps": gaps,
        "questions": {k: BANT_QUESTIONS[k] for k in gaps},
        "recorded_at": row.get("recorded_at") if row else None,
    }


def _owner(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {k: row.get(k) for k in ("rep_id", "name", "email", "rule", "assigned_at")}


@lru_cache(maxsize=64)
def _columns(sql: str) -> tuple[str, ...]:
    query = sqlglot.parse_one(sql, read="duckdb")
    assert isinstance(query, sqlglot.exp.Query)
    return tuple(query.named_selects)


def _rows(engine: Engine, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows as dicts through ``fetch`` (DuckDB's Arrow path re-tokenises SQL in Python)."""
    columns = _columns(sql)
    return [dict(zip(columns, row, strict=True)) for row in engine.fetch(sql, params)]


def iso(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# -- the queries (DuckDB dialect; $ids are surviving lead ids) -------------------

# Leads merged into a brief's lead contribute their activities to it.
# Two one-column filters, not ``a OR b``: each reaches its scan as a key lookup.
_MEMBERS_SQL = """
SELECT lead_id AS member, lead_id AS for_lead FROM {leads} WHERE lead_id = ANY($ids)
UNION
SELECT lead_id AS member, merged_into AS for_lead FROM {leads} WHERE merged_into = ANY($ids)
"""

# The members' activity rows, read by lead id alone: DuckDB uses the
# activities index only when the lead id is the scan's one condition, so the
# time window is applied to this small copy (``_ACTS``), not to the scan.
_RAW_ACTS = "lead_id, occurred_at, activity_type, url, content_id"  # read with lookups.keyed

_BASE_SQL = """
SELECT l.lead_id, l.email, l.first_name, l.last_name, l.title, l.seniority, l.department,
       l.company, l.country, l.lead_source, l.channel, l.created_at,
       a.account_id, a.name AS account_name, a.domain AS account_domain,
       a.industry AS account_industry, a.employees AS account_employees,
       a.annual_revenue AS account_annual_revenue, a.country AS account_country,
       a.region AS account_region, a.owner AS account_owner
FROM leads AS l
LEFT JOIN (  -- only their accounts: a plain join would read every account first
    SELECT * FROM accounts
    WHERE account_id IN (SELECT account_id FROM leads WHERE lead_id = ANY($ids))
) AS a ON a.account_id = l.account_id
WHERE l.lead_id = ANY($ids)
"""

_OWNER_SQL = """
SELECT x.lead_id, x.rep_id, r.name, r.email, x.rule, x.assigned_at
FROM (
    SELECT lead_id, rep_id, rule, assigned_at,
           row_number() OVER (PARTITION BY lead_id ORDER BY assignment_id DESC) AS rn
    FROM assignments WHERE lead_id = ANY($ids) AND assigned_at <= $as_of
) AS x LEFT JOIN reps AS r ON r.rep_id = x.rep_id
WHERE x.rn = 1
"""

# What a lead did, with the content it touched (by id, else by URL).
_ACTS = """
SELECT m.for_lead, a.occurred_at, a.activity_type, a.url,
       coalesce(c1.title, c2.title) AS title,
       coalesce(c1.content_type, c2.content_type) AS content_type,
       coalesce(c1.topics, c2.topics) AS topics,
       coalesce(c1.journey_stage, c2.journey_stage) AS journey_stage
FROM _ll_brief_raw AS a
JOIN _ll_brief_members AS m ON m.member = a.lead_id
LEFT JOIN content AS c1 ON c1.content_id = a.content_id
LEFT JOIN (
    SELECT url, title, content_type, topics, journey_stage FROM (
        SELECT url, title, content_type, topics, journey_stage,
               row_number() OVER (PARTITION BY url ORDER BY content_id) AS rn
        FROM content WHERE url IS NOT NULL
    ) AS u WHERE rn = 1
) AS c2 ON a.content_id IS NULL AND c2.url = a.url
WHERE a.occurred_at <= $as_of AND a.occurred_at > $since
"""

_ACTIVITIES_SQL = f"""
SELECT for_lead, occurred_at, activity_type, title, url, content_type, topics, journey_stage
FROM (
    SELECT x.*, row_number() OVER (
        PARTITION BY for_lead ORDER BY occurred_at DESC, activity_type, url) AS rn
    FROM _ll_brief_acts AS x
    WHERE x.activity_type NOT IN {tuple(NOISE)!r}
) AS r
WHERE rn <= {RECENT_ACTIVITIES}
ORDER BY for_lead, occurred_at DESC, activity_type, url
"""

_TOPICS_SQL = """
SELECT for_lead, topic, count(*) AS activities,
       max(CASE journey_stage WHEN 'problem' THEN 1 WHEN 'solution' THEN 2
           WHEN 'product' THEN 3 ELSE 0 END) AS furthest,
       max(occurred_at) AS last_at
FROM (SELECT for_lead, occurred_at, journey_stage, unnest(topics) AS topic
      FROM _ll_brief_acts AS x WHERE topics IS NOT NULL) AS t
GROUP BY for_lead, topic
ORDER BY for_lead, furthest DESC, activities DESC, topic
"""

_PAGES_SQL = """
SELECT for_lead, url, views, last_at FROM (
    SELECT for_lead, url, count(*) AS views, max(occurred_at) AS last_at,
           row_number() OVER (PARTITION BY for_lead ORDER BY count(*) DESC, url) AS rn
    FROM _ll_brief_acts AS x
    WHERE activity_type = 'page_view' AND url IS NOT NULL
    GROUP BY for_lead, url
) AS p WHERE rn <= 5
ORDER BY for_lead, views DESC, url
"""

_QUALIFICATION_SQL = """
SELECT lead_id, budget, authority, need, timeline, recorded_at FROM (
    SELECT q.*, row_number() OVER (PARTITION BY lead_id ORDER BY recorded_at DESC) AS rn
    FROM qualifications AS q WHERE lead_id = ANY($ids) AND recorded_at <= $as_of
) AS q WHERE rn = 1
"""

# Other people at the same account (the colleagues' ids are looked up first,
# so the activity scan below filters on the lead id alone: see _RAW_ACTS).
_COLLEAGUES_SQL = """
SELECT o.lead_id FROM {leads} AS me JOIN {leads} AS o ON o.account_id = me.account_id
WHERE me.lead_id = ANY($ids) AND me.account_id IS NOT NULL
  AND o.lead_id <> me.lead_id AND o.merged_into IS NULL
"""

# ... and those of them who did something in the lookback window (their rows
# read with index lookups: a group of MQLs has more colleagues than DuckDB
# reads through the index in one list).
_CONTACTS_SQL = f"""
WITH me AS (
    SELECT lead_id, account_id FROM leads WHERE lead_id = ANY($ids) AND account_id IS NOT NULL
), others AS (
    SELECT me.lead_id AS for_lead, o.lead_id, o.first_name, o.last_name, o.email, o.title
    FROM me JOIN ({{colleague_rows}}) AS o ON o.account_id = me.account_id
    WHERE o.lead_id <> me.lead_id AND o.merged_into IS NULL
), act AS (
    SELECT lead_id, count(*) AS activities, max(occurred_at) AS last_at FROM (
        SELECT lead_id, CASE WHEN occurred_at <= $as_of AND occurred_at > $since
                              AND activity_type NOT IN {tuple(NOISE)!r}
                         THEN occurred_at END AS occurred_at
        FROM ({{colleague_acts}}) AS x
    ) AS a WHERE occurred_at IS NOT NULL
    GROUP BY lead_id
), stage AS (
    SELECT lead_id, to_stage FROM (
        SELECT lead_id, to_stage, row_number() OVER (
            PARTITION BY lead_id ORDER BY changed_at DESC, transition_id DESC) AS rn
        FROM stage_history
        WHERE lead_id = ANY($colleagues) AND changed_at <= $as_of
    ) AS h WHERE rn = 1
)
SELECT for_lead, lead_id, first_name, last_name, email, title, activities, last_at, stage
FROM (
    SELECT o.*, act.activities, act.last_at, coalesce(s.to_stage, 'lead') AS stage,
           row_number() OVER (
               PARTITION BY o.for_lead ORDER BY act.activities DESC, o.lead_id) AS rn
    FROM others AS o JOIN act ON act.lead_id = o.lead_id
    LEFT JOIN stage AS s ON s.lead_id = o.lead_id
) AS c WHERE rn <= {OTHER_CONTACTS}
ORDER BY for_lead, activities DESC, lead_id
"""


def _lookup(
    select: str, table: str, copies: Mapping[str, str] | None, keys: list[str], name: str
) -> tuple[str, dict[str, Any]]:
    """Rows of ``table`` whose lead id is in ``keys``: index lookups in the store, a
    filter on the copy when there is one."""
    if copies is None:
        return keyed(select, table, "lead_id", keys, name=name)
    return f"SELECT {select} FROM {copies[table]} WHERE lead_id = ANY(${name})", {name: keys}


def _contacts_sql(
    colleagues: list[str], copies: Mapping[str, str] | None, params: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    who = "lead_id, account_id, first_name, last_name, email, title, merged_into"
    rows, row_params = _lookup(who, "leads", copies, colleagues, "c")
    acts, act_params = _lookup(
        "lead_id, occurred_at, activity_type", "activities", copies, colleagues, "a"
    )
    sql = _CONTACTS_SQL.format(colleague_rows=rows, colleague_acts=acts)
    return sql, {**params, "colleagues": colleagues, **row_params, **act_params}


_OPPORTUNITIES_SQL = """
SELECT l.lead_id AS for_lead, o.opportunity_id, o.name, o.stage, o.amount, o.product,
       o.owner, o.created_at
FROM leads AS l JOIN opportunities AS o ON o.account_id = l.account_id
WHERE l.lead_id = ANY($ids) AND o.created_at <= $as_of
  AND NOT (o.stage IN ('won', 'lost') AND o.closed_at IS NOT NULL AND o.closed_at <= $as_of)
ORDER BY l.lead_id, o.created_at DESC, o.opportunity_id
"""

# This lead's (and leads merged into it) and its colleagues' past verdicts from sales.
_DISPOSITIONS_SQL = f"""
WITH me AS (
    SELECT lead_id, account_id FROM {{leads}} WHERE lead_id = ANY($ids)
), related AS (
    SELECT lead_id AS for_lead, lead_id FROM me
    UNION
    SELECT merged_into AS for_lead, lead_id FROM {{leads}} WHERE merged_into = ANY($ids)
    UNION
    SELECT me.lead_id AS for_lead, dl.lead_id FROM me
    JOIN {{leads}} AS dl ON dl.account_id = me.account_id
)
SELECT for_lead, lead_id, who, action, reason, note, actor, decided_at FROM (
    SELECT r.for_lead, d.lead_id,
           CASE WHEN d.lead_id = r.for_lead THEN 'this lead'
                ELSE coalesce(nullif(trim(coalesce(dl.first_name, '') || ' ' ||
                              coalesce(dl.last_name, '')), ''), dl.email, d.lead_id) END AS who,
           d.action, d.reason, d.note, d.actor, d.decided_at,
           row_number() OVER (PARTITION BY r.for_lead ORDER BY d.decided_at DESC,
                              d.disposition_id DESC) AS rn
    FROM related AS r
    JOIN dispositions AS d ON d.lead_id = r.lead_id
    LEFT JOIN {{leads}} AS dl ON dl.lead_id = d.lead_id
    WHERE d.decided_at <= $as_of
) AS x WHERE rn <= {PAST_DISPOSITIONS}
ORDER BY for_lead, decided_at DESC
"""

_CLOCKS_SQL = """
SELECT c.lead_id AS for_lead, c.kind, c.budget, c.started_at, c.due_at, c.stopped_at,
       c.stopped_by, c.breached_at
FROM sla_clocks AS c
WHERE c.lead_id = ANY($ids) AND c.assignment_id = (
    SELECT max(assignment_id) FROM assignments AS x WHERE x.lead_id = c.lead_id)
ORDER BY c.lead_id, c.kind DESC
"""
