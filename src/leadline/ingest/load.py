"""Load one batch of normalised rows into the store, set-based.

Entities (leads, accounts, ...) are upserted by key: each row is *new*,
*changed*, *unchanged* (identical to the stored row) or *merged* (a
duplicate by email/domain, stored with ``merged_into`` pointing at the
survivor).  A changed row's previous version is copied to
``entity_versions`` before it is overwritten.  Histories (activities,
touches, dispositions) are append-only and skip rows whose
``(source, source_event_id)`` is already stored.

Attribute bags merge: a re-import adds and updates keys but never drops
keys another file set (JSON merge patch), except that post-contact keys are
always removed from ``attributes``.  Every function here runs inside the
caller's batch transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from leadline.ingest import normalize as N
from leadline.ingest.kinds import CAMPAIGN_COST_FIELDS
from leadline.ingest.normalize import ident, lit
from leadline.ingest.plan import ColumnPlan
from leadline.ingest.profiles import Facts
from leadline.store.base import Engine

BATCH = "_ll_batch_rows"


@dataclass
class BatchCounts:
    loaded: int = 0
    unchanged: int = 0
    merged: int = 0
    derived: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class EntityTarget:
    """Where and how an entity batch is written."""

    table: str
    key: tuple[str, ...]
    columns: tuple[str, ...]  # plain columns written from the batch
    json_columns: tuple[str, ...] = ()  # merged with JSON merge patch
    remove_keys: tuple[str, ...] = ()  # keys dropped from `attributes`
    merges: bool = False  # the batch has a `merged_into` column


def _same(target: EntityTarget, new_json: dict[str, str]) -> str:
    checks = [f"t.{ident(c)} IS NOT DISTINCT FROM s.{ident(c)}" for c in target.columns]
    checks += [
        f"CAST(t.{ident(j)} AS VARCHAR) IS NOT DISTINCT FROM {new_json[j]}"
        for j in target.json_columns
    ]
    if target.merges:
        checks.append(f"t.merged_into IS NOT DISTINCT FROM {_merged_into()}")
    return " AND ".join(checks) if checks else "true"


def _merged_into() -> str:
    return "coalesce(t.merged_into, s.merged_into)"


def _json_final(target: EntityTarget, col: str) -> str:
    patched = (
        f"json_merge_patch(coalesce(CAST(t.{ident(col)} AS VARCHAR), '{{}}'), "
        f"coalesce(s.{ident(col)}, '{{}}'))"
    )
    if col == "attributes" and target.remove_keys:
        body = ", ".join(f"{lit(k)}, NULL" for k in target.remove_keys)
        patched = f"json_merge_patch({patched}, json_object({body}))"
    return f"nullif(CAST({patched} AS VARCHAR), '{{}}')"


def load_entities(
    engine: Engine,
    target: EntityTarget,
    source_sql: str,
    entity: str,
    run_id: int,
    now: datetime,
) -> BatchCounts:
    """Upsert the rows of ``source_sql`` (one row per key) into ``target.table``."""
    join = " AND ".join(f"t.{ident(k)} = s.{ident(k)}" for k in target.key)
    new_json = {j: _json_final(target, j) for j in target.json_columns}
    extra = "".join(f", {expr} AS {ident('_new_' + j)}" for j, expr in new_json.items())
    merged = f", {_merged_into()} AS _final_merged" if target.merges else ""
    merged_status = (
        "_final_merged IS NOT NULL AND _old_merged IS DISTINCT FROM _final_merged"
        if target.merges
        else "false"
    )
    old_merged = ", t.merged_into AS _old_merged" if target.merges else ""
    engine.execute(
        f"CREATE OR REPLACE TEMP TABLE {BATCH} AS "
        f"SELECT s.*, t.{ident(target.key[0])} IS NULL AS _is_new, "
        f"{_same(target, new_json)} AS _same{extra}{merged}{old_merged} "
        f"FROM ({source_sql}) s LEFT JOIN {ident(target.table)} t ON {join}"
    )
    counts = engine.fetch(
        f"SELECT count(*) FILTER (WHERE _same AND NOT _is_new), "
        f"count(*) FILTER (WHERE (_is_new OR NOT _same) AND {merged_status}), "
        f"count(*) FILTER (WHERE (_is_new OR NOT _same) AND NOT ({merged_status})) "
        f"FROM {BATCH}"
    )[0]
    key_text = " || '|' || ".join(f"CAST(t.{ident(k)} AS VARCHAR)" for k in target.key)
    bjoin = " AND ".join(f"t.{ident(k)} = b.{ident(k)}" for k in target.key)
    engine.execute(
        "INSERT INTO entity_versions (entity, entity_id, data, replaced_at, import_run_id) "
        f"SELECT {lit(entity)}, {key_text}, to_json(t), ?, ? "
        f"FROM {ident(target.table)} t JOIN {BATCH} b ON {bjoin} "
        "WHERE NOT b._is_new AND NOT b._same",
        [now, run_id],
    )
    cols = list(dict.fromkeys([*target.key, *target.columns]))
    names = cols + list(target.json_columns) + (["merged_into"] if target.merges else [])
    values = [ident(c) for c in cols] + [
        f"CAST({ident('_new_' + j)} AS JSON)" for j in target.json_columns
    ]
    if target.merges:
        values.append("_final_merged")
    updates = ", ".join(
        f"{ident(c)} = excluded.{ident(c)}" for c in [*names[len(target.key) :], "import_run_id"]
    )
    engine.execute(
        f"INSERT INTO {ident(target.table)} ({', '.join(map(ident, names))}, import_run_id) "
        f"SELECT {', '.join(values)}, ? FROM {BATCH} WHERE _is_new OR NOT _same "
        f"ON CONFLICT ({', '.join(map(ident, target.key))}) DO UPDATE SET {updates}",
        [run_id],
    )
    if target.merges:
        engine.execute(
            "INSERT INTO merges (entity, merged_id, survivor_id, match_key, match_value, "
            "import_run_id, merged_at) "
            f"SELECT {lit(entity)}, {ident(target.key[0])}, _final_merged, "
            f"_match_key, _match_value, ?, ? FROM {BATCH} "
            f"WHERE (_is_new OR NOT _same) AND {merged_status}",
            [run_id, now],
        )
    engine.execute(f"DROP TABLE IF EXISTS {BATCH}")
    return BatchCounts(unchanged=counts[0], merged=counts[1], loaded=counts[2])


def entity_batch(
    engine: Engine,
    plan: ColumnPlan,
    norm: str,
    survivors: str | None,
    lo: int,
    hi: int,
    run_id: int,
    now: datetime,
) -> BatchCounts:
    """Load rows ``lo < _row <= hi`` of an entity kind."""
    kind = plan.kind
    where = f"n._problem IS NULL AND n._row > {int(lo)} AND n._row <= {int(hi)}"
    if kind.name == "campaigns":
        return _campaign_batch(engine, plan, norm, where, run_id, now)
    table_cols = [f for f in kind.fields if plan.provides(f) and f not in kind.key]
    if kind.name == "leads":
        if plan.provides("email"):
            table_cols += ["email_domain", "is_free_mail"]
        table_cols += [
            d for d, src in kind.derived.items() if not plan.provides(d) and plan.provides(src)
        ]
    json_cols = tuple(
        c for c, on in (("attributes", kind.attributes), ("post_contact", kind.post_contact)) if on
    )
    select = [f"n.{ident(c)}" for c in (*kind.key, *table_cols, *json_cols)]
    joins = ""
    if survivors:
        select += [
            f"CASE WHEN v.survivor <> n.{ident(kind.key[0])} THEN v.survivor END AS merged_into",
            f"{lit(kind.dedupe_on or '')} AS _match_key",
            "v.match_value AS _match_value",
        ]
        joins = f" LEFT JOIN {ident(survivors)} v ON v._row = n._row"
    target = EntityTarget(
        kind.table,
        kind.key,
        tuple(table_cols),
        json_cols,
        tuple(plan.post_contact) if kind.name == "leads" else (),
        merges=survivors is not None,
    )
    source = f"SELECT {', '.join(select)} FROM {ident(norm)} n{joins} WHERE {where}"
    return load_entities(engine, target, source, kind.table, run_id, now)


def _campaign_batch(
    engine: Engine, plan: ColumnPlan, norm: str, where: str, run_id: int, now: datetime
) -> BatchCounts:
    """A campaigns file: one row per campaign period -> campaigns + campaign_costs."""
    camp_cols = [f for f in ("name", "channel", "started_at", "ended_at") if plan.provides(f)]
    select = ", ".join(f"n.{ident(c)}" for c in ["campaign_id", *camp_cols])
    camp_source = (
        f"SELECT DISTINCT ON (n.campaign_id) {select} FROM {ident(norm)} n WHERE {where} "
        "ORDER BY n.campaign_id, n._row"
    )
    camp = load_entities(
        engine,
        EntityTarget("campaigns", ("campaign_id",), tuple(camp_cols)),
        camp_source,
        "campaigns",
        run_id,
        now,
    )
    if not plan.provides("period_start"):
        return camp
    cost_cols = [f for f in CAMPAIGN_COST_FIELDS if plan.provides(f) and f != "period_start"]
    select = ", ".join(f"n.{ident(c)}" for c in ["campaign_id", "period_start", *cost_cols])
    cost_source = (
        f"SELECT {select} FROM {ident(norm)} n WHERE {where} AND n.period_start IS NOT NULL"
    )
    costs = load_entities(
        engine,
        EntityTarget("campaign_costs", ("campaign_id", "period_start"), tuple(cost_cols)),
        cost_source,
        "campaign_costs",
        run_id,
        now,
    )
    return costs


HISTORY_COLUMNS: dict[str, tuple[str, ...]] = {
    "activities": (
        "lead_id",
        "activity_type",
        "occurred_at",
        "url",
        "content_id",
        "campaign_id",
        "value",
        "attributes",
    ),
    "touches": ("lead_id", "campaign_id", "touched_at", "touch_type"),
    "dispositions": ("lead_id", "action", "reason", "note", "actor", "decided_at"),
}


def history_batch(
    engine: Engine, plan: ColumnPlan, norm: str, lo: int, hi: int, run_id: int, now: datetime
) -> BatchCounts:
    """Append rows ``lo < _row <= hi`` that are not stored yet."""
    table = plan.kind.table
    engine.execute(
        f"CREATE OR REPLACE TEMP TABLE {BATCH} AS SELECT n.* FROM {ident(norm)} n "
        f"WHERE n._problem IS NULL AND n._row > {int(lo)} AND n._row <= {int(hi)}"
    )
    total = int(engine.scalar(f"SELECT count(*) FROM {BATCH}") or 0)
    cols = HISTORY_COLUMNS[table]
    values = [f"b.{ident(c)}" if (plan.provides(c) or c == "lead_id") else "NULL" for c in cols]
    if "attributes" in cols:  # text in the normalised rows, JSON in the store
        values[cols.index("attributes")] = "CAST(b.attributes AS JSON)"
    names = ["source", "source_event_id", *cols, "import_run_id"]
    first = ["b._source", "b._source_event_id"]
    if table == "dispositions":
        names.insert(0, "disposition_id")
        first.insert(0, "nextval('seq_disposition')")
    else:
        names.append("ingested_at")
    tail = ["?"] if table == "dispositions" else ["?", "?"]
    params: list[object] = [run_id] if table == "dispositions" else [run_id, now]
    before = int(engine.scalar(f"SELECT count(*) FROM {ident(table)}") or 0)
    engine.execute(
        f"INSERT INTO {ident(table)} ({', '.join(names)}) "
        f"SELECT {', '.join([*first, *values, *tail])} FROM {BATCH} b "
        f"WHERE NOT EXISTS (SELECT 1 FROM {ident(table)} a WHERE a.source = b._source "
        "AND a.source_event_id = b._source_event_id) ORDER BY b._row",
        params,
    )
    inserted = int(engine.scalar(f"SELECT count(*) FROM {ident(table)}") or 0) - before
    engine.execute(f"DROP TABLE IF EXISTS {BATCH}")
    return BatchCounts(loaded=inserted, unchanged=total - inserted)


def fact_batch(
    engine: Engine,
    plan: ColumnPlan,
    facts: Facts,
    norm: str,
    lo: int,
    hi: int,
    run_id: int,
    now: datetime,
) -> int:
    """Behaviour facts of a leads file -> activities at the profile's ``as_of`` time."""
    selects: list[str] = []
    type_expr: dict[str, str] = {}
    for fact in facts.items:
        col = ident("_f_" + fact.name)
        if fact.types is not None:
            whens = " ".join(
                f"WHEN {lit(k.lower())} THEN {'NULL' if v is None else lit(v)}"
                for k, v in fact.types.items()
            )
            type_expr[fact.name] = f"CASE lower({col}) {whens} END"
        else:
            fixed = lit(fact.activity_type or "")
            type_expr[fact.name] = f"CASE WHEN {col} IS NOT NULL THEN {fixed} END"
    for fact in facts.items:
        col = ident("_f_" + fact.name)
        typ = type_expr[fact.name]
        value = N.number(col) if fact.types is None else "NULL"
        cond = f"{typ} IS NOT NULL"
        if fact.types is None:  # a zero count is not behaviour
            cond += f" AND coalesce({value}, 0) <> 0"
        if fact.unless_same_as and fact.unless_same_as in type_expr:
            cond += f" AND {typ} IS DISTINCT FROM {type_expr[fact.unless_same_as]}"
        attrs = f"json_object('fact', {lit(fact.name)}, 'raw', {col})"
        selects.append(
            f"SELECT {lit(facts.source)} AS source, n.lead_id || {lit(':' + fact.name)} "
            f"AS source_event_id, n.lead_id, {typ} AS activity_type, {value} AS value, "
            f"CAST({attrs} AS VARCHAR) AS attributes, n._row, {len(selects)} AS _k "
            f"FROM {ident(norm)} n WHERE n._problem IS NULL AND n._row > {int(lo)} "
            f"AND n._row <= {int(hi)} AND {cond}"
        )
    if not selects:
        return 0
    before = int(engine.scalar("SELECT count(*) FROM activities") or 0)
    engine.execute(
        "INSERT INTO activities (source, source_event_id, lead_id, activity_type, occurred_at, "
        "value, attributes, ingested_at, import_run_id) "
        "SELECT f.source, f.source_event_id, f.lead_id, f.activity_type, CAST(? AS TIMESTAMP), "
        f"f.value, CAST(f.attributes AS JSON), ?, ? FROM ({' UNION ALL '.join(selects)}) f "
        "WHERE NOT EXISTS (SELECT 1 FROM activities a WHERE a.source = f.source "
        "AND a.source_event_id = f.source_event_id) ORDER BY f._row, f._k",
        [facts.as_of, now, run_id],
    )
    return int(engine.scalar("SELECT count(*) FROM activities") or 0) - before
