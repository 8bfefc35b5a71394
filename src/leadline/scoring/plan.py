"""Assemble the scoring fragments into one plan of named CTEs.

The CTE chain (each a set-based SELECT; names are prefixed ``_ll_``)::

    _ll_people     scored leads (surviving, created by T) with fit flags,
                   fit_points, grade and the field-based exclusion reason
    _ll_keys       every lead id (merged ones too) → its survivor in _ll_people
                   (the lead-filtered plan's scope; learned features read it)
    _ll_merged     merged lead → survivor (re-keys activities, see activities.py)
    _ll_scope_acts (lead-filtered plan only) the scoped leads' activities
    _ll_eng_*      engagement: ONE pass over the activities aggregating per
                   (lead, rule) plus trigger/signal counts (see engagement.py)
    _ll_intent_ev  topic evidence (its own pass over activities on content);
                   _ll_lead_* / _ll_account_* intent per key
    _ll_flags      per lead: trigger and exclusion-signal activity counts
    _ll_scores     one row per lead: fit, engagement, intent, score, reasons
    _ll_accounts   MQA roll-up (only with stages.mqa)

The snapshot and parts queries are two SELECTs over the same chain; the
lead-filtered variant differs only in scope predicates — ``_ll_people``'s
WHERE (the requested leads, plus their accounts' other leads when account
roll-ups need them), each activity pass reading only those leads' activities,
and a final filter — so batch and single-lead scoring share every formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sqlglot
from sqlglot import exp

from leadline.contract.schema import Contract
from leadline.errors import CompileError
from leadline.scoring import (
    accounts,
    activities,
    engagement,
    exclusions,
    fit,
    intent,
    priority,
    triggers,
)
from leadline.scoring import model as learned
from leadline.scoring.common import AS_OF, LEAD_IDS, lit, needs_content

SNAPSHOT_COLUMNS: tuple[str, ...] = (
    "lead_id",
    "account_id",
    "as_of",
    "contract_version",
    "fit_points",
    "grade",
    "engagement",
    "intent",
    "score",
    "excluded_reason",
    "trigger_rule",
    "priority",
    "priority_rank",
    "qualifies_mql",
    "mql_reason",
    "account_score",
    "account_engaged_contacts",
    "account_qualifies_mqa",
)
PARTS_COLUMNS: tuple[str, ...] = (
    "lead_id",
    "component",
    "rule",
    "events",
    "raw_points",
    "capped_points",
    "cap_applied",
    "decay_factor",
    "points",
    "detail",
)
# CTEs worth materialising once when both the snapshot and the parts are written.
SHARED_CTES: tuple[str, ...] = (
    "_ll_people",
    "_ll_merged",
    "_ll_eng_pairs",
    "_ll_eng_binding",
    "_ll_eng_capped",
    "_ll_engagement",
    "_ll_intent_ev",
    "_ll_lead_stages",
    "_ll_lead_journey",
    "_ll_lead_intent",
    "_ll_scores",
)
# CTEs the plan asks the engine to compute once in a single statement.  Only
# the lead-filtered activities: hinting the batch CTEs made DuckDB slower
# (a single-statement batch snapshot took 12.8 s with them, 5.1 s without).
MATERIALIZED_CTES: frozenset[str] = activities.MATERIALIZED


@lru_cache(maxsize=1024)
def parse_fragment(sql: str) -> exp.Expr:
    """One CTE body or final SELECT of a plan, parsed (callers copy before changing it)."""
    try:
        return sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as err:  # a bug in a fragment, not in the contract
        raise CompileError(f"could not build the scoring plan: {err}") from err


@dataclass(frozen=True)
class Plan:
    """Named CTE bodies plus the two final SELECTs, all DuckDB-dialect text."""

    ctes: tuple[tuple[str, str], ...]
    snapshot_body: str
    parts_body: str

    def query(self, body: str, materialized: frozenset[str] = frozenset()) -> exp.Select:
        """``WITH <ctes not materialized> <body>`` as one sqlglot expression.

        Each CTE is parsed on its own and cached by its text (:func:`parse_fragment`):
        the snapshot and parts queries share every CTE, the batch and filtered
        plans most of them, and a backtest or learning run compiles contracts
        that differ in a rule or two, so most of a compile is copying trees
        already parsed instead of parsing ~20 KB of SQL four times.
        """
        query = parse_fragment(body).copy()
        if not isinstance(query, exp.Select):
            raise CompileError("the scoring plan did not compile to a SELECT")
        ctes = [
            exp.CTE(
                this=parse_fragment(sql).copy(),
                alias=exp.TableAlias(this=exp.to_identifier(name)),
                materialized=True if name in MATERIALIZED_CTES else None,
            )
            for name, sql in self.ctes
            if name not in materialized
        ]
        if ctes:
            query.set("with_", exp.With(expressions=ctes))
        return query

    def cte_query(self, name: str, materialized: frozenset[str] = frozenset()) -> exp.Select:
        """The SELECT for one CTE, with the CTEs before it, for ``CREATE TEMP TABLE``."""
        names = [n for n, _ in self.ctes]
        before = frozenset(names[names.index(name) :]) | materialized
        sql = dict(self.ctes)[name]
        return Plan(tuple((n, s) for n, s in self.ctes if n not in before), "", "").query(
            sql, frozenset()
        )


def _people_cte(contract: Contract, lead_filter: bool) -> str:
    rules = contract.fit.rules
    flags = fit.fit_flag_columns(rules)
    scope = [
        "l.merged_into IS NULL",
        f"(l.created_at IS NULL OR l.created_at <= {AS_OF})",
    ]
    account_rows = "accounts"
    if lead_filter:
        # Written as semi-joins on key lists, never as ``a OR b``: the filter
        # then reaches the leads/accounts scans as a key lookup (an index
        # scan), so scoring one lead does not read a million others.
        wanted = f"SELECT UNNEST(CAST({LEAD_IDS} AS TEXT[]))"
        their_accounts = (
            f"SELECT r.account_id FROM leads AS r WHERE r.lead_id IN ({wanted}) "
            "AND r.account_id IS NOT NULL"
        )
        if contract.stages.mqa is not None:  # roll-ups need the whole account
            wanted += (
                " UNION ALL SELECT m.lead_id FROM leads AS m "
                f"WHERE m.account_id IN ({their_accounts})"
            )
        scope.append(f"l.lead_id IN ({wanted})")
        account_rows = f"(SELECT * FROM accounts WHERE account_id IN ({their_accounts}))"
    inner = ", ".join(
        [
            "l.lead_id AS lead_id",
            "l.account_id AS account_id",
            *flags,
            f"{exclusions.field_exclusion_sql(contract.exclude)} AS field_exclusion",
        ]
    )
    return (
        f"SELECT q.*, {fit.grade_sql('q.fit_points', contract.fit.grades)} AS grade "
        f"FROM (SELECT p.*, {fit.fit_points_sql(rules)} AS fit_points "
        f"FROM (SELECT {inner} FROM leads AS l "
        f"LEFT JOIN {account_rows} AS a ON a.account_id = l.account_id "
        f"WHERE {' AND '.join(scope)}) AS p) AS q"
    )


def _window_days(contract: Contract) -> float | None:
    """Oldest activity the engagement pass reads (None: all history, for exclusion signals)."""
    if contract.exclude.activity_signals:
        return None
    days = [contract.behaviour.lookback_days]
    days += [t.within_days for t in contract.behaviour.triggers]
    return max(days)


def _flags_cte(contract: Contract) -> str:
    """Per-lead trigger and exclusion-signal counts, collected by the engagement pass."""
    names = [n for n, _ in _flags(contract)]
    if not names:
        return "SELECT CAST(NULL AS VARCHAR) AS lead_id WHERE FALSE"
    return f"SELECT e.lead_id, {', '.join('e.' + n for n in names)} FROM _ll_engagement AS e"


def _flags(contract: Contract) -> list[tuple[str, str]]:
    return [
        *triggers.trigger_flags(contract.behaviour.triggers),
        *exclusions.signal_flags(contract.exclude),
    ]


def _scores_cte(contract: Contract, with_model: bool = False) -> str:
    trigger_rule = triggers.trigger_rule_sql(contract.behaviour.triggers, "p.grade")
    # A referenced model adds points × predicted conversion (see scoring/model.py).
    score = "t.engagement + t.intent" + (" + t.model_points" if with_model else "")
    model_cols = (
        "coalesce(m.p_convert, 0.0e0) AS p_convert, "
        "coalesce(m.model_points, 0.0e0) AS model_points, "
        if with_model
        else ""
    )
    model_join = " LEFT JOIN _ll_model AS m ON m.lead_id = p.lead_id" if with_model else ""
    return (
        f"SELECT t.*, {score} AS score FROM ("
        "SELECT p.lead_id, p.account_id, p.fit_points, p.grade, "
        "coalesce(e.engagement, 0.0e0) AS engagement, coalesce(i.intent, 0.0e0) AS intent, "
        f"{model_cols}"
        f"{exclusions.excluded_reason_sql(contract.exclude)} AS excluded_reason, "
        f"{trigger_rule} AS trigger_rule "
        "FROM _ll_people AS p "
        "LEFT JOIN _ll_engagement AS e ON e.lead_id = p.lead_id "
        "LEFT JOIN _ll_lead_intent AS i ON i.lead_id = p.lead_id "
        f"LEFT JOIN _ll_flags AS f ON f.lead_id = p.lead_id{model_join}) AS t"
    )


def _snapshot_body(contract: Contract, version: str, lead_filter: bool) -> str:
    mqa = contract.stages.mqa
    cols = [
        "s.lead_id",
        "s.account_id",
        f"CAST({AS_OF} AS TIMESTAMP) AS as_of",
        f"{lit(version)} AS contract_version",
        "s.fit_points",
        "s.grade",
        "s.engagement",
        "s.intent",
        "s.score",
        "s.excluded_reason",
        "s.trigger_rule",
        *priority.verdict_columns(contract),
        *accounts.account_columns(mqa),
    ]
    body = f"SELECT {', '.join(cols)} FROM _ll_scores AS s"
    if mqa is not None:
        body += " LEFT JOIN _ll_accounts AS acc ON acc.account_id = s.account_id"
    if lead_filter:
        body += f" WHERE s.lead_id = ANY({LEAD_IDS})"
    return body


def _parts_body(
    contract: Contract, lead_filter: bool, model: learned.LogisticSpec | None = None
) -> str:
    selects = [
        s
        for s in (
            fit.fit_parts_sql(contract.fit.rules),
            engagement.engagement_parts_sql(contract.behaviour),
        )
        if s is not None
    ]
    selects += intent.intent_parts_sql(contract.intent)
    if model is not None:
        selects.append(learned.model_parts_sql(model))
    selects.append(
        "SELECT s.lead_id, 'exclusion' AS component, s.excluded_reason AS rule, "
        "CAST(NULL AS BIGINT) AS events, 0.0e0 AS raw_points, 0.0e0 AS capped_points, "
        "FALSE AS cap_applied, 1.0e0 AS decay_factor, 0.0e0 AS points, "
        "CAST(NULL AS VARCHAR) AS detail FROM _ll_scores AS s "
        "WHERE s.excluded_reason IS NOT NULL"
    )
    selects.append(
        "SELECT s.lead_id, 'trigger' AS component, s.trigger_rule AS rule, "
        f"CAST({triggers.trigger_events_sql(contract.behaviour.triggers)} AS BIGINT) AS events, "
        "0.0e0 AS raw_points, 0.0e0 AS capped_points, FALSE AS cap_applied, 1.0e0 AS decay_factor, "
        "0.0e0 AS points, 'grade ' || s.grade AS detail FROM _ll_scores AS s "
        "LEFT JOIN _ll_flags AS f ON f.lead_id = s.lead_id WHERE s.trigger_rule IS NOT NULL"
    )
    union = " UNION ALL ".join(f"({s})" for s in selects)
    where = f" WHERE parts.lead_id = ANY({LEAD_IDS})" if lead_filter else ""
    return f"SELECT {', '.join('parts.' + c for c in PARTS_COLUMNS)} FROM ({union}) AS parts{where}"


def build_plan(
    contract: Contract,
    version: str,
    *,
    lead_filter: bool,
    model: learned.LogisticSpec | None = None,
) -> Plan:
    """The whole plan for one contract (no I/O: expressions only).

    ``model`` is the stored model the contract's ``model:`` section pins
    (resolved by the caller, since the plan never reads the store).
    """
    b = contract.behaviour
    ctes: list[tuple[str, str]] = [
        ("_ll_people", _people_cte(contract, lead_filter)),
        (
            "_ll_keys",
            "SELECT m.lead_id AS source_id, p.lead_id, p.account_id FROM leads AS m "
            "JOIN _ll_people AS p ON p.lead_id = coalesce(m.merged_into, m.lead_id)",
        ),
        activities.merged_cte(),
    ]
    if lead_filter:
        ctes.append(activities.scope_cte())
    ctes += [
        *engagement.engagement_ctes(
            b,
            flags=_flags(contract),
            lead_filter=lead_filter,
            window_days=_window_days(contract),
            content=needs_content([*b.rules, *b.triggers, *contract.exclude.activity_signals]),
        ),
    ]
    if contract.intent is not None:
        ctes.append(intent.evidence_cte(contract.intent, lead_filter=lead_filter))
    ctes += intent.intent_ctes(contract.intent, "lead_id")
    ctes.append(("_ll_flags", _flags_cte(contract)))
    if model is not None:
        ctes += learned.model_ctes(model)
    ctes.append(("_ll_scores", _scores_cte(contract, with_model=model is not None)))
    account_cte = accounts.accounts_cte(contract.stages.mqa)
    if account_cte is not None:
        ctes += intent.intent_ctes(contract.intent, "account_id")
        ctes.append(account_cte)
    return Plan(
        tuple(ctes),
        _snapshot_body(contract, version, lead_filter),
        _parts_body(contract, lead_filter, model),
    )
