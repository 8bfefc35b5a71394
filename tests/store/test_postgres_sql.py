"""Rendering reference-dialect SQL for PostgreSQL: one row per rule (no database).

Each row is DuckDB-dialect input → the PostgreSQL statements psycopg runs.
That they also *run* the same on both engines is tests/store/test_engine.py.
"""

from __future__ import annotations

import pytest

from leadline.errors import EngineError
from leadline.store.postgres_sql import render_text

RENDERED = [
    # placeholders: $name → %(name)s, ? → %s; every other % doubled
    ("SELECT $as_of, $a, $as_of", ["SELECT %(as_of)s, %(a)s, %(as_of)s"]),
    ("SELECT ?, ?", ["SELECT %s, %s"]),
    (
        "SELECT x FROM t WHERE u LIKE '/p%' AND n % 2 = ?",
        ["SELECT x FROM t WHERE u LIKE '/p%%' AND n %% 2 = %s"],
    ),
    # sqlglot's own dialect work, pinned because the scoring plan relies on it
    (
        "SELECT coalesce(regexp_matches(u, '/pricing', 'i'), FALSE)",
        ["SELECT COALESCE(u ~* '/pricing', FALSE)"],
    ),
    ("SELECT topics && ['a', 'b'] FROM c", ["SELECT topics && ARRAY['a', 'b'] FROM c"]),
    (
        "SELECT * FROM a SEMI JOIN b ON a.x = b.x",
        ["SELECT * FROM a WHERE EXISTS(SELECT 1 FROM b WHERE a.x = b.x)"],
    ),
    ("SELECT epoch(t)", ["SELECT DATE_PART('epoch', t)"]),
    ("SELECT l.id = ANY($ids)", ["SELECT l.id = ANY(%(ids)s)"]),
    # the project's rules (postgres_sql.py)
    (
        "SELECT r.k, h.s FROM r ASOF LEFT JOIN h ON h.k = r.k AND r.t >= h.t",
        [
            "SELECT r.k, h.s FROM r LEFT JOIN LATERAL (SELECT * FROM h WHERE h.k = r.k "
            "AND r.t >= h.t ORDER BY h.t DESC NULLS LAST LIMIT 1) AS h ON TRUE"
        ],
    ),
    (
        "SELECT * FROM r ASOF JOIN h ON h.k = r.k AND h.t > r.t",
        [
            "SELECT * FROM r JOIN LATERAL (SELECT * FROM h WHERE h.k = r.k AND h.t > r.t "
            "ORDER BY h.t ASC NULLS FIRST LIMIT 1) AS h ON TRUE"
        ],
    ),
    (
        "CREATE OR REPLACE TEMP TABLE x AS SELECT $a AS a",
        ["DROP TABLE IF EXISTS x", "CREATE TEMPORARY TABLE x AS SELECT %(a)s AS a"],
    ),
    (
        "SELECT t + to_microseconds(CAST(n AS BIGINT))",
        ["SELECT t + (CAST(n AS BIGINT)) * INTERVAL '1 MICROSECOND'"],
    ),
    (
        "SELECT 1.5e0, 0.5, CAST(2e0 AS DOUBLE)",
        ["SELECT CAST(1.5e0 AS DOUBLE PRECISION), 0.5, CAST(2e0 AS DOUBLE PRECISION)"],
    ),
    ("SELECT round(x, 1), round(x)", ["SELECT ROUND(CAST(x AS DECIMAL), 1), ROUND(x)"]),
    # migrations: DuckDB types
    (
        "CREATE TABLE IF NOT EXISTS c (id VARCHAR PRIMARY KEY, topics VARCHAR[], j JSON, "
        "v DOUBLE, at TIMESTAMP)",
        [
            "CREATE TABLE IF NOT EXISTS c (id TEXT PRIMARY KEY, topics TEXT[], j JSON, "
            "v DOUBLE PRECISION, at TIMESTAMP)"
        ],
    ),
    ("CREATE SEQUENCE IF NOT EXISTS s START 1", ["CREATE SEQUENCE IF NOT EXISTS s START WITH 1"]),
    ("SELECT 1; SELECT 2", ["SELECT 1", "SELECT 2"]),
    (
        "SELECT x FROM (SELECT 1 AS x) JOIN (SELECT 2 AS y) AS b ON TRUE",
        ["SELECT x FROM (SELECT 1 AS x) AS _ll_q1 JOIN (SELECT 2 AS y) AS b ON TRUE"],
    ),
]


@pytest.mark.parametrize(("duckdb_sql", "postgres"), RENDERED)
def test_rendered_for_postgres(duckdb_sql: str, postgres: list[str]) -> None:
    assert list(render_text(duckdb_sql)) == postgres


REFUSED = [
    ("SELECT * EXCLUDE (run_id) FROM s", "SELECT \\* EXCLUDE/REPLACE"),
    ("SELECT a, count(*) FROM t GROUP BY ALL", "GROUP BY ALL"),
    ("SELECT a FROM t ORDER BY ALL", "ORDER BY ALL"),
    ("SELECT $1", "numbered parameters"),
    ("SELECT * FROM r ASOF JOIN h ON h.k = r.k", "inequality"),
]


@pytest.mark.parametrize(("duckdb_sql", "message"), REFUSED)
def test_what_has_no_equivalent_is_refused_loudly(duckdb_sql: str, message: str) -> None:
    with pytest.raises(EngineError, match=message):
        render_text(duckdb_sql)
