"""Render reference-dialect (DuckDB) SQL for PostgreSQL, with psycopg placeholders.

sqlglot does the dialect work (types, functions, ``SEMI JOIN`` → ``EXISTS``,
``regexp_matches(…, 'i')`` → ``~*``, ``list && list`` → arrays…).  What it
leaves alone because PostgreSQL has no direct equivalent is rewritten here,
generically — on expression types, never per statement — so every query the
project writes (migrations, the compiled scoring plan, lifecycle moves)
goes through the same few rules:

* ``ASOF [LEFT] JOIN t ON keys AND a.x >= t.y`` → ``[LEFT] JOIN LATERAL
  (SELECT * FROM t WHERE … ORDER BY t.y DESC LIMIT 1) ON TRUE`` (the same
  "latest row at or before" match);
* ``CREATE OR REPLACE TABLE`` → ``DROP TABLE IF EXISTS`` + ``CREATE TABLE``;
* ``to_microseconds(n)`` → ``n * INTERVAL '1 microsecond'``;
* a number literal with an exponent (``1.0e0``) is DOUBLE in DuckDB (the
  project writes contract numbers that way on purpose) but NUMERIC in
  PostgreSQL: it is cast to ``DOUBLE PRECISION``;
* a derived table without an alias gets one (PostgreSQL 15 insists);
* ``round(x, n)`` has no DOUBLE overload in PostgreSQL: ``x`` is cast to
  NUMERIC (whose text form, ``3.0``, matches DuckDB's rounded DOUBLE);
* ``json_object(k, v, …)`` → ``json_build_object(k, v, …)`` (PostgreSQL 15
  has no SQL/JSON constructors);
* ``json_merge_patch(a, b)`` (RFC 7386) → ``ll_json_merge_patch(a::jsonb,
  b::jsonb)::json``, a function the PostgreSQL migrations create.

What needs the table's columns (``SELECT * EXCLUDE``, ``GROUP BY ALL``,
``ORDER BY ALL``) is refused with a message naming the fix, never guessed.

Placeholders: ``$name`` becomes ``%(name)s`` and ``?`` becomes ``%s``; every
other ``%`` (``LIKE 'a%'``, modulo) is doubled, because psycopg reads ``%``
as the start of a placeholder.
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from leadline.errors import EngineError

READ = "duckdb"
WRITE = "postgres"
_MARK = "llparam"  # placeholders travel through the generator as marker columns


def _asof_to_lateral(join: exp.Join) -> exp.Join:
    """``ASOF`` join → ``LATERAL`` subquery picking the nearest row (see module doc)."""
    right = join.this
    alias = right.alias_or_name
    on = join.args.get("on")
    if on is None or not alias:
        raise EngineError("an ASOF join needs an alias and an ON condition to run on PostgreSQL")
    order: exp.Ordered | None = None
    for cond in on.flatten() if isinstance(on, exp.And) else [on]:
        if not isinstance(cond, exp.GT | exp.GTE | exp.LT | exp.LTE):
            continue
        for side, other in ((cond.this, cond.expression), (cond.expression, cond.this)):
            if isinstance(side, exp.Column) and side.table == alias and other is not None:
                # the right-hand row's column is on the "smaller" side of >= / >:
                # the nearest match is the largest one, so sort it descending.
                smaller = cond.expression if isinstance(cond, exp.GT | exp.GTE) else cond.this
                desc = side is smaller
                order = exp.Ordered(this=side.copy(), desc=desc, nulls_first=not desc)
                break
        if order is not None:
            break
    if order is None:
        raise EngineError("an ASOF join needs an inequality on the joined table's column")
    inner = exp.select("*").from_(right.copy()).where(on.copy()).order_by(order).limit(1)
    lateral = exp.Lateral(
        this=inner.subquery(), alias=exp.TableAlias(this=exp.to_identifier(alias))
    )
    return exp.Join(this=lateral, side=join.args.get("side"), on=exp.true())


def _refuse(node: exp.Expression) -> None:
    """DuckDB conveniences that need the table's columns: fail loudly, name the fix."""
    if isinstance(node, exp.Star) and (node.args.get("except_") or node.args.get("replace")):
        raise EngineError("SELECT * EXCLUDE/REPLACE does not run on PostgreSQL: list the columns")
    if isinstance(node, exp.Group) and node.args.get("all"):
        raise EngineError("GROUP BY ALL does not run on PostgreSQL: list the columns")
    if isinstance(node, exp.Ordered) and isinstance(node.this, exp.Var) and node.this.name == "ALL":
        raise EngineError("ORDER BY ALL does not run on PostgreSQL: list the columns")


def _rewrite(node: exp.Expression) -> exp.Expression:
    _refuse(node)
    if isinstance(node, exp.Join) and (node.args.get("method") or "").upper() == "ASOF":
        return _asof_to_lateral(node)
    if isinstance(node, exp.Anonymous) and node.name.lower() == "to_microseconds":
        return exp.Mul(
            this=exp.Paren(this=node.expressions[0].copy()),
            expression=exp.Interval(this=exp.Literal.string("1"), unit=exp.var("MICROSECOND")),
        )
    if (
        isinstance(node, exp.Literal)
        and not node.is_string
        and "e" in node.this.lower()
        and not isinstance(node.parent, exp.Cast)
    ):
        return exp.cast(node.copy(), exp.DataType.Type.DOUBLE)
    if isinstance(node, exp.JSONObject):
        args: list[exp.Expression] = []
        for pair in node.expressions:
            if not isinstance(pair, exp.JSONKeyValue):
                raise EngineError("json_object takes key, value pairs on PostgreSQL")
            args += [_rewritten(pair.this), _rewritten(pair.expression)]
        return exp.Anonymous(this="json_build_object", expressions=args)
    if isinstance(node, exp.Anonymous) and node.name.lower() == "json_merge_patch":
        target, patch = (exp.cast(_rewritten(e), exp.DataType.Type.JSONB) for e in node.expressions)
        merged = exp.Anonymous(this="ll_json_merge_patch", expressions=[target, patch])
        return exp.cast(merged, exp.DataType.Type.JSON)
    if isinstance(node, exp.Round) and node.args.get("decimals") is not None:
        value = node.this
        if not (isinstance(value, exp.Cast) and value.to.is_type(exp.DataType.Type.DECIMAL)):
            node.set("this", exp.cast(value.copy(), exp.DataType.Type.DECIMAL))
        return node
    return node


def _rewritten(node: exp.Expression) -> exp.Expression:
    """A copy of ``node`` with its own subtree rewritten (for nodes a rule rebuilds)."""
    return node.copy().transform(_rewrite)


def _name_derived_tables(tree: exp.Expression) -> None:
    """PostgreSQL before 16 wants every derived table named: ``_ll_q1``, ``_ll_q2``…"""
    unnamed = [
        sub
        for sub in tree.find_all(exp.Subquery)
        if isinstance(sub.parent, exp.From | exp.Join) and not sub.alias
    ]
    for n, sub in enumerate(unnamed, start=1):
        sub.set("alias", exp.TableAlias(this=exp.to_identifier(f"_ll_q{n}")))


def _split_replace(tree: exp.Expression) -> list[exp.Expression]:
    """``CREATE OR REPLACE TABLE`` → ``DROP TABLE IF EXISTS`` then ``CREATE TABLE``."""
    if isinstance(tree, exp.Create) and tree.args.get("replace") and tree.kind == "TABLE":
        create = tree.copy()
        create.set("replace", False)
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        drop = exp.Drop(tables=[target.copy()], kind="TABLE", exists=True)
        return [drop, create]
    return [tree]


def _mark_placeholders(tree: exp.Expression) -> tuple[exp.Expression, list[str | None]]:
    """Replace placeholders by numbered marker columns; return the names (None for ``?``)."""
    names: list[str | None] = []

    def mark(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder):
            name = node.this if isinstance(node.this, str) and node.this else None
            if name is not None and name.isdigit():
                raise EngineError(
                    f"numbered parameters (${name}) are not supported; use ? or $name"
                )
            names.append(name)
            return exp.column(f"{_MARK}{len(names) - 1}")
        return node

    return tree.transform(mark, copy=False), names


def _generate(tree: exp.Expression) -> str:
    tree, names = _mark_placeholders(tree)
    text = tree.sql(dialect=WRITE, unsupported_level=ErrorLevel.RAISE).replace("%", "%%")
    # Highest index first, so llparam1 never eats the front of llparam12.
    for i in range(len(names) - 1, -1, -1):
        name = names[i]
        text = text.replace(f"{_MARK}{i}", "%s" if name is None else f"%({name})s")
    return text


def to_postgres(tree: exp.Expression) -> list[str]:
    """One reference-dialect statement → PostgreSQL statements ready for psycopg."""
    rewritten = tree.copy().transform(_rewrite)
    _name_derived_tables(rewritten)
    return [_generate(part) for part in _split_replace(rewritten)]


@lru_cache(maxsize=1024)
def render_text(sql: str) -> tuple[str, ...]:
    """DuckDB-dialect text (one or more statements) → PostgreSQL statements (cached)."""
    try:
        trees = sqlglot.parse(sql, read=READ)
    except sqlglot.errors.ParseError as err:
        raise EngineError(f"cannot parse SQL for PostgreSQL: {err}") from err
    out: list[str] = []
    for tree in trees:
        if isinstance(tree, exp.Expression):
            out += to_postgres(tree)
    return tuple(out)
