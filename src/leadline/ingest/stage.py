"""Normalise the staged strings into typed canonical rows, and find bad rows.

One ``CREATE TABLE AS`` turns the raw staging table into the normalised one:
clean every value, apply the profile's value maps and constants, collapse
category spellings, parse types, build attribute JSON, and compute the first
thing wrong with the row with a ``CASE`` chain: its reason
in ``_problem``, with ``_problem_field`` and ``_problem_message``.  Rows with a
NULL ``_problem`` are loadable.  Nothing here loops over rows in Python.

Normalising always runs on DuckDB (its readers, ``TRY_CAST``, regexes and
lists); it reads nothing from the store, so a PostgreSQL store gets the
normalised table copied in.  What needs the store -- which lead a row belongs
to (:func:`resolve_leads`), duplicates, survivors -- runs afterwards, on the
store, in SQL both engines speak.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadline.ingest import normalize as N
from leadline.ingest.kinds import Kind
from leadline.ingest.normalize import ident, lit
from leadline.ingest.plan import ColumnPlan
from leadline.store.base import Engine

TYPE_REASON = {
    "number": ("bad_number", "is not a number"),
    "int": ("bad_number", "is not a whole number"),
    "bool": ("bad_boolean", "is not a yes/no value"),
    "timestamp": ("bad_timestamp", "is not a timestamp"),
    "date": ("bad_timestamp", "is not a date"),
}
LEADREF_TABLE = "_ll_leadref"


@dataclass(frozen=True)
class RowProblem:
    """A problem with one staged row, found by a caller's ``extra_checks``."""

    row_number: int
    field: str
    reason: str
    message: str


def _t(name: str) -> str:
    return ident(f"_t_{name}")


def _text_source(plan: ColumnPlan, name: str) -> str:
    """The cleaned text for a field, after the profile's value map."""
    col = plan.fields[name]
    expr = lit(plan.constants[name]) if col is None else ident(col)
    return _value_map(plan, name, expr)


def _value_map(plan: ColumnPlan, name: str, expr: str) -> str:
    mapping = plan.section.values.get(name)
    if not mapping:
        return expr
    whens = " ".join(
        f"WHEN {lit(k)} THEN {'NULL' if v is None else lit(v)}" for k, v in mapping.items()
    )
    return f"CASE lower({expr}) {whens} ELSE {expr} END"


def _json_object(pairs: dict[str, str]) -> str:
    """JSON of the non-NULL values; NULL when there are none."""
    if not pairs:
        return "NULL"
    body = ", ".join(f"{lit(k)}, {v}" for k, v in sorted(pairs.items()))
    return f"nullif(json_merge_patch('{{}}', json_object({body}))::VARCHAR, '{{}}')"


def _parsed(kind: Kind, plan: ColumnPlan, name: str) -> str:
    """SQL for the typed value of a provided field, from the ``_t_`` text column."""
    ftype = kind.fields[name]
    t = _t(name)
    fmt = plan.section.date_format
    if ftype == "code":
        return N.code(t)
    if ftype == "email":
        return N.email(t)
    if ftype == "domain":
        return N.domain(t)
    if ftype == "country":
        return N.country(t)
    if ftype == "number":
        scale = plan.section.scale.get(name)
        return f"({N.number(t)} * {float(scale)!r})" if scale else N.number(t)
    if ftype == "int":
        return N.integer(t)
    if ftype == "bool":
        return N.boolean(t)
    if ftype == "timestamp":
        return N.timestamp(t, fmt)
    if ftype == "date":
        return N.date(t, fmt)
    if ftype == "topics":
        return N.topic_list(t)
    if ftype == "currency":
        return N.upper_code(t)
    return t  # text, category


def build_normalised(
    engine: Engine, plan: ColumnPlan, raw: str, norm: str, default_source: str
) -> None:
    """Create temp table ``norm`` from raw staging table ``raw``."""
    kind = plan.kind
    engine.execute(N.country_table_sql())
    used = sorted(
        {c for c in plan.fields.values() if c}
        | set(plan.attributes.values())
        | set(plan.post_contact.values())
        | set(plan.facts.values()),
        key=lambda c: int(c[1:]),
    )
    code_columns = {
        c for f, c in plan.fields.items() if c and (kind.fields[f] == "country" or f == "region")
    }
    cleaned = ", ".join(f"{N.clean(ident(c), codes=c in code_columns)} AS {ident(c)}" for c in used)
    cleaned = ", " + cleaned if cleaned else ""
    select_c = f"SELECT _row, _line, _reader_problem{cleaned} FROM {ident(raw)}"

    # m: text per field, JSON bags, fact texts
    m_cols = [f"{_text_source(plan, f)} AS {_t(f)}" for f in plan.fields]
    attrs = {k: _value_map(plan, k, ident(c)) for k, c in plan.attributes.items()}
    if plan.provides("country") and kind.attributes:
        attrs["country_raw"] = (
            f"CASE WHEN {N.country(_text_source(plan, 'country'))} IS NULL "
            f"THEN {_text_source(plan, 'country')} END"
        )
    if kind.attributes:
        m_cols.append(f"{_json_object(attrs)} AS attributes")
    if kind.post_contact:
        post = {k: ident(c) for k, c in plan.post_contact.items()}
        m_cols.append(f"{_json_object(post)} AS post_contact")
    m_cols += [f"{ident(c)} AS {ident('_f_' + name)}" for name, c in plan.facts.items()]
    select_m = f"SELECT _row, _line, _reader_problem, {', '.join(m_cols)} FROM c"

    # category spelling: the most frequent spelling in the file wins
    cats = [f for f in plan.fields if kind.fields[f] == "category"]
    counts = ", ".join(f"count(*) OVER (PARTITION BY {_t(f)}) AS {ident('_n_' + f)}" for f in cats)
    select_m1 = f"SELECT *{', ' + counts if counts else ''} FROM m"
    replace = ", ".join(
        f"first_value({_t(f)}) OVER (PARTITION BY {N.category_key(_t(f))} "
        f"ORDER BY {ident('_n_' + f)} DESC, {_t(f)}) AS {_t(f)}"
        for f in cats
    )
    select_m2 = f"SELECT * REPLACE ({replace}) FROM m1" if cats else "SELECT * FROM m1"

    # p: typed values
    p_cols = [f"{_parsed(kind, plan, f)} AS {ident(f)}" for f in plan.fields if f != "lead_id"]
    if plan.provides("email"):
        p_cols.append(f"{N.email_domain(ident('email'))} AS email_domain")
    if kind.name == "leads" and plan.provides("email"):
        p_cols.append(f"{N.is_free_mail(N.email_domain(N.email(_t('email'))))} AS is_free_mail")
    for derived, source in kind.derived.items():
        if not plan.provides(derived) and plan.provides(source):
            fn = N.seniority if derived == "seniority" else N.department
            p_cols.append(f"{fn(_t(source))} AS {ident(derived)}")
    if kind.lead_ref:
        p_cols.append("CAST(NULL AS VARCHAR) AS lead_id")  # see resolve_leads
    elif plan.provides("lead_id"):
        p_cols.append(f"{_t('lead_id')} AS lead_id")
    select_p = f"SELECT m2.*, {', '.join(p_cols)} FROM m2"

    final = ["p.*"]
    if kind.history:
        final += _history_ids(plan, default_source)
    final.append(f"{_problem_case(plan)} AS _p")
    sql = (
        f"CREATE OR REPLACE TEMP TABLE {ident(norm)} AS "
        f"WITH c AS ({select_c}), m AS ({select_m}), m1 AS ({select_m1}), "
        f"m2 AS ({select_m2}), p AS ({select_p}), q AS (SELECT {', '.join(final)} FROM p) "
        "SELECT * EXCLUDE (_p), _p.reason AS _problem, _p.field AS _problem_field, "
        "_p.message AS _problem_message FROM q"
    )
    engine.execute(sql)


def resolve_leads(engine: Engine, plan: ColumnPlan, norm: str) -> None:
    """Which stored lead each row of a lead-referencing kind belongs to.

    A given ``lead_id`` must exist; else the ``email`` names the lead,
    following merges to the survivor.  A row that names no stored lead is
    quarantined as ``unknown_lead`` -- last, so any earlier problem wins.
    Runs on the store (DuckDB or PostgreSQL) after normalisation.
    """
    kind = plan.kind
    if not kind.lead_ref:
        return
    table = ident(norm)
    lead_given = _t("lead_id") if plan.provides("lead_id") else "NULL"
    email_given = N.email(_t("email")) if plan.provides("email") else "NULL"
    engine.execute(
        f"CREATE OR REPLACE TEMP TABLE {LEADREF_TABLE} AS "
        "SELECT lower(email) AS email, min(coalesce(merged_into, lead_id)) AS lead_id "
        f"FROM leads WHERE lower(email) IN (SELECT {email_given} FROM {table}) GROUP BY 1"
    )
    engine.execute(
        f"UPDATE {table} SET lead_id = x.lead_id FROM ("
        f"SELECT n._row, CASE WHEN {lead_given} IS NOT NULL THEN k.lead_id "
        f"ELSE r.lead_id END AS lead_id FROM {table} n "
        f"LEFT JOIN leads k ON k.lead_id = {lead_given} "
        f"LEFT JOIN {LEADREF_TABLE} r ON r.email = {email_given}) x "
        f"WHERE {table}._row = x._row AND x.lead_id IS NOT NULL"
    )
    label = plan.field_headers.get("lead_id") or plan.field_headers["email"]
    shown = _t("lead_id") if plan.provides("lead_id") else _t("email")
    if plan.provides("lead_id") and plan.provides("email"):
        shown = f"coalesce({_t('lead_id')}, {_t('email')})"
    engine.execute(
        f"UPDATE {table} SET _problem = 'unknown_lead', _problem_field = {lit(label)}, "
        f"_problem_message = 'no lead ' || {shown} || ' in the store' "
        "WHERE _problem IS NULL AND lead_id IS NULL"
    )


def _history_ids(plan: ColumnPlan, default_source: str) -> list[str]:
    """Default ``source``/``source_event_id`` so re-imports are idempotent."""
    kind = plan.kind
    out = []
    src = ident("source") if plan.provides("source") else "NULL"
    out.append(f"coalesce({src}, {lit(default_source)}) AS _source")
    if kind.event_id == "row":
        fallback = "CAST(_row AS VARCHAR)"
    else:
        parts = [
            f"coalesce(CAST({ident(f)} AS VARCHAR), '')"
            for f in kind.fields
            if f not in ("source", "source_event_id", "lead_id") and plan.provides(f)
        ]
        lead = _t("lead_id") if plan.provides("lead_id") else "''"
        parts.insert(0, f"coalesce({lead}, '')")
        if kind.attributes:
            parts.append("coalesce(attributes, '')")
        fallback = f"md5(concat_ws(chr(31), {', '.join(parts)}))"
    eid = ident("source_event_id") if plan.provides("source_event_id") else "NULL"
    out.append(f"coalesce({eid}, {fallback}) AS _source_event_id")
    return out


def _problem(field: str, reason: str, message: str) -> str:
    return f"{{'field': {lit(field)}, 'reason': {lit(reason)}, 'message': {message}}}"


def _problem_case(plan: ColumnPlan) -> str:
    """The first problem of a row as a struct, or NULL: one CASE chain, no loops."""
    kind = plan.kind
    header = plan.field_headers
    whens: list[str] = [
        f"WHEN _reader_problem IS NOT NULL THEN {_problem('(row)', 'bad_row', '_reader_problem')}"
    ]
    for name in kind.key:
        whens.append(
            f"WHEN {_t(name)} IS NULL THEN "
            f"{_problem(header[name], 'missing_key', lit(f'{name} is missing'))}"
        )
    if kind.lead_ref:
        given = [_t(f) + " IS NULL" for f in ("lead_id", "email") if plan.provides(f)]
        label = header.get("lead_id") or header["email"]
        whens.append(
            f"WHEN {' AND '.join(given)} THEN "
            f"{_problem(label, 'missing_key', lit('no lead_id or email says whose row this is'))}"
        )
    for name in kind.required:
        whens.append(
            f"WHEN {_t(name)} IS NULL THEN "
            f"{_problem(header[name], 'missing_value', lit(f'{name} is missing'))}"
        )
    for name in plan.fields:
        ftype = kind.fields[name]
        if ftype in TYPE_REASON:
            reason, text = TYPE_REASON[ftype]
            msg = f"'''' || {_t(name)} || ''' {text} ({name})'"
            whens.append(
                f"WHEN {_t(name)} IS NOT NULL AND {ident(name)} IS NULL THEN "
                f"{_problem(header[name], reason, msg)}"
            )
        if name in kind.enums:
            allowed = kind.enums[name]
            msg = (
                f"'''' || {_t(name)} || ''' is not a known {name}; use one of {', '.join(allowed)}'"
            )
            whens.append(
                f"WHEN {ident(name)} IS NOT NULL AND {ident(name)} NOT IN "
                f"({', '.join(lit(a) for a in allowed)}) THEN "
                f"{_problem(header[name], 'bad_value', msg)}"
            )
        if ftype == "email":
            msg = f"'''' || {_t(name)} || ''' is not an email address'"
            whens.append(
                f"WHEN {ident(name)} IS NOT NULL AND NOT {N.email_is_valid(ident(name))} THEN "
                f"{_problem(header[name], 'bad_value', msg)}"
            )
    if plan.section.facts:
        for fact in plan.section.facts.items:
            if fact.activity_type and fact.name in plan.facts:
                col = ident("_f_" + fact.name)
                msg = f"'''' || {col} || ''' is not a number ({fact.name})'"
                whens.append(
                    f"WHEN {col} IS NOT NULL AND {N.number(col)} IS NULL THEN "
                    f"{_problem(fact.column, 'bad_number', msg)}"
                )
    return "CASE " + " ".join(whens) + " END"


def row_key(plan: ColumnPlan) -> tuple[str, ...]:
    """Columns that identify a row of this file (for duplicate detection)."""
    if plan.kind.history:
        return ("_source", "_source_event_id")
    if plan.kind.name == "campaigns" and plan.provides("period_start"):
        return ("campaign_id", "period_start")
    return plan.kind.key


def flag_duplicates(engine: Engine, plan: ColumnPlan, norm: str) -> None:
    """Later rows repeating an earlier row's key are quarantined as ``duplicate_key``."""
    key = row_key(plan)
    part = ", ".join(ident(k) for k in key)
    label = plan.field_headers.get(key[0], key[0]) if not plan.kind.history else "source_event_id"
    shown = " || '/' || ".join(f"CAST({ident(k)} AS VARCHAR)" for k in key)
    engine.execute(
        f"UPDATE {ident(norm)} SET _problem = 'duplicate_key', "
        f"_problem_field = {lit(label)}, _problem_message = d.msg FROM ("
        f"SELECT _row, {shown} || ' already appears on line ' || "
        "coalesce(CAST(first_line AS VARCHAR), 'row ' || first_row) AS msg FROM ("
        f"SELECT _row, {part}, row_number() OVER w AS rn, "
        "first_value(_line) OVER w AS first_line, first_value(_row) OVER w AS first_row "
        f"FROM {ident(norm)} WHERE _problem IS NULL "
        f"WINDOW w AS (PARTITION BY {part} ORDER BY _row)) WHERE rn > 1) d "
        f"WHERE {ident(norm)}._row = d._row"
    )


def apply_row_problems(engine: Engine, norm: str, problems: list[RowProblem]) -> None:
    """Quarantine rows a caller's ``extra_checks`` found wrong (first problem wins)."""
    if not problems:
        return
    values = ", ".join(
        f"({int(p.row_number)}, {lit(p.field)}, {lit(p.reason)}, {lit(p.message)})"
        for p in problems
    )
    engine.execute(
        f"UPDATE {ident(norm)} SET _problem = x.r, _problem_field = x.f, _problem_message = x.m "
        f"FROM (SELECT DISTINCT ON (n) * FROM (VALUES {values}) AS v(n, f, r, m)) x "
        f"WHERE {ident(norm)}._row = x.n AND {ident(norm)}._problem IS NULL"
    )


def compute_survivors(engine: Engine, plan: ColumnPlan, norm: str, survivors: str) -> bool:
    """Dedupe: for each loadable row sharing an email/domain, who survives.

    The lead (or account) already in the store survives, else the first row
    in file order.  Returns False when the kind does not dedupe.
    """
    kind = plan.kind
    dk = kind.dedupe_on
    if dk is None or not plan.provides(dk):
        return False
    key = kind.key[0]
    engine.execute(
        f"CREATE OR REPLACE TEMP TABLE {ident(survivors)} AS "
        f"SELECT n._row, coalesce(e.survivor, first_value(n.{ident(key)}) OVER "
        f"(PARTITION BY n.{ident(dk)} ORDER BY n._row)) AS survivor, n.{ident(dk)} AS match_value "
        f"FROM {ident(norm)} n LEFT JOIN (SELECT lower({ident(dk)}) AS dk, "
        f"min({ident(key)}) AS survivor FROM {ident(kind.table)} "
        f"WHERE merged_into IS NULL AND {ident(dk)} IS NOT NULL "
        f"AND lower({ident(dk)}) IN (SELECT {ident(dk)} FROM {ident(norm)}) GROUP BY 1) e "
        f"ON e.dk = n.{ident(dk)} "
        f"WHERE n._problem IS NULL AND n.{ident(dk)} IS NOT NULL"
    )
    return True


def raw_rows_sql(raw: str, headers: tuple[str, ...], staged: tuple[str, ...]) -> str:
    """Each staged row as the file gave it: ``_row`` and a JSON object by header (DuckDB)."""
    pairs = ", ".join(f"{lit(h)}, r.{ident(c)}" for h, c in zip(headers, staged, strict=True))
    return f"SELECT r._row, CAST(json_object({pairs}) AS VARCHAR) AS raw FROM {ident(raw)} r"


def write_quarantine(
    engine: Engine, norm: str, raw_rows: str, run_id: int, kind: str, file: str
) -> None:
    """Every row with a problem → ``quarantine``, with the row as the file gave it.

    ``raw_rows`` is a table or subquery of ``(_row, raw)`` (see :func:`raw_rows_sql`).
    """
    engine.execute(
        "INSERT INTO quarantine (run_id, kind, file, row_number, line, field, reason, "
        "message, raw) "
        f"SELECT {int(run_id)}, {lit(kind)}, {lit(file)}, n._row, n._line, "
        "n._problem_field, n._problem, n._problem_message, CAST(r.raw AS JSON) "
        f"FROM {ident(norm)} n JOIN {raw_rows} r ON r._row = n._row "
        "WHERE n._problem IS NOT NULL ORDER BY n._row"
    )
