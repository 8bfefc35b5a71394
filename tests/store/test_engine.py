"""The Engine contract, held on every engine (``engine`` runs on DuckDB and PostgreSQL).

The same reference-dialect SQL and parameters give the same rows and Python
types everywhere, transactions behave the same, and what PostgreSQL cannot
run is refused before it reaches the server.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pyarrow as pa
import pytest

from leadline.errors import EngineError
from leadline.store import SCHEMA_VERSION, migrate, schema_version
from leadline.store.base import Engine

T = datetime(2026, 3, 1, 9, 30, 15, 123456)


@pytest.fixture
def table(engine: Engine) -> str:
    engine.execute(
        "CREATE TABLE things (id VARCHAR PRIMARY KEY, n BIGINT, x DOUBLE, ok BOOLEAN, "
        "seen TIMESTAMP, tags VARCHAR[], doc JSON)"
    )
    engine.execute(
        "INSERT INTO things VALUES (?, ?, ?, ?, ?, ?, ?)",
        ["a", 1, 1.5, True, T, ["x", "y"], '{"k": "v"}'],
    )
    engine.execute(
        "INSERT INTO things VALUES ($id, $n, $x, $ok, $seen, $tags, $doc)",
        {"id": "b%", "n": 2, "x": 0.25, "ok": False, "seen": None, "tags": None, "doc": None},
    )
    return "things"


def test_values_come_back_with_the_same_python_types(engine: Engine, table: str) -> None:
    rows = engine.fetch(f"SELECT id, n, x, ok, seen, tags, doc FROM {table} ORDER BY id")
    assert rows == [
        ("a", 1, 1.5, True, T, ["x", "y"], '{"k": "v"}'),
        ("b%", 2, 0.25, False, None, None, None),
    ]
    assert engine.fetch_dicts(f"SELECT id, n FROM {table} WHERE id LIKE 'b%'") == [
        {"id": "b%", "n": 2}
    ]


def test_named_parameters_may_repeat_and_unused_ones_are_ignored(
    engine: Engine, table: str
) -> None:
    rows = engine.fetch(
        f"SELECT id FROM {table} WHERE n >= $low AND (id = $id OR $id IS NULL) ORDER BY id",
        {"low": 1, "id": None, "unused": 99},
    )
    assert rows == [("a",), ("b%",)]


def test_computed_numbers_match(engine: Engine) -> None:
    """Sums of integers stay whole, exponent literals are doubles, round() keeps decimals."""
    row = engine.fetch_dicts(
        "SELECT sum(v) AS total, 1.5e0 * 2 AS dbl, round(2.25e0, 1) AS r, "
        "CAST(round(3.0e0, 1) AS VARCHAR) AS shown, power(0.5, 2.0e0) AS p, "
        "epoch(CAST($t AS TIMESTAMP)) - epoch(CAST($t AS TIMESTAMP) - INTERVAL '90' SECOND) AS s "
        "FROM (VALUES (1), (2), (3)) AS v(v)",
        {"t": T},
    )[0]
    assert row == {"total": 6, "dbl": 3.0, "r": 2.3, "shown": "3.0", "p": 0.25, "s": 90.0}
    assert isinstance(row["r"], float)


def test_a_write_fetched_returns_its_row_count(engine: Engine, table: str) -> None:
    assert engine.fetch(f"UPDATE {table} SET n = n + 1") == [(2,)]
    assert engine.scalar(f"SELECT sum(n) FROM {table}") == 5


def test_arrow_results_are_typed_even_when_empty(engine: Engine, table: str) -> None:
    result = engine.fetch_arrow(f"SELECT id, n, x, ok, seen, tags FROM {table} WHERE FALSE")
    assert result.num_rows == 0
    types = dict(zip(result.schema.names, result.schema.types, strict=True))
    assert types["id"] == pa.string() and types["n"] == pa.int64()
    assert types["x"] == pa.float64() and types["ok"] == pa.bool_()
    assert pa.types.is_timestamp(types["seen"]) and pa.types.is_list(types["tags"])
    full = engine.fetch_arrow(f"SELECT id, seen FROM {table} ORDER BY id")
    assert full.to_pylist() == [{"id": "a", "seen": T}, {"id": "b%", "seen": None}]


def test_arrow_tables_can_be_registered_and_queried(engine: Engine) -> None:
    data = pa.table({"k": ["a", "b", None], "v": [1, 2, 3], "seen": [T, None, T]})
    engine.register_arrow("_t_batch", data)
    try:
        assert engine.fetch("SELECT k, v FROM _t_batch WHERE seen IS NOT NULL ORDER BY v") == [
            ("a", 1),
            (None, 3),
        ]
    finally:
        engine.unregister("_t_batch")
    assert not engine.table_exists("_t_batch")


# RFC 7386, appendix A: target, patch, result.  Left out: an object patch on a
# top-level non-object target ([1,2] + {"a":"b","c":null}), where DuckDB keeps
# the patch's nulls and the RFC drops them; imports always merge into an object.
MERGE_PATCH = [
    ('{"a":"b"}', '{"a":"c"}', {"a": "c"}),
    ('{"a":"b"}', '{"b":"c"}', {"a": "b", "b": "c"}),
    ('{"a":"b"}', '{"a":null}', {}),
    ('{"a":"b","b":"c"}', '{"a":null}', {"b": "c"}),
    ('{"a":["b"]}', '{"a":"c"}', {"a": "c"}),
    ('{"a":"c"}', '{"a":["b"]}', {"a": ["b"]}),
    ('{"a":{"b":"c"}}', '{"a":{"b":"d","c":null}}', {"a": {"b": "d"}}),
    ('{"a":[{"b":"c"}]}', '{"a":[1]}', {"a": [1]}),
    ('["a","b"]', '["c","d"]', ["c", "d"]),
    ('{"a":"b"}', '["c"]', ["c"]),
    ('{"e":null}', '{"a":1}', {"e": None, "a": 1}),
    ("{}", '{"a":{"bb":{"ccc":null}}}', {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "merged"), MERGE_PATCH)
def test_json_merge_patch_follows_rfc_7386(
    engine: Engine, target: str, patch: str, merged: object
) -> None:
    """Imports merge attribute bags with json_merge_patch: PostgreSQL's stand-in
    (ll_json_merge_patch) must merge exactly as DuckDB's built-in does."""
    got = engine.scalar(
        "SELECT CAST(json_merge_patch(CAST($t AS JSON), CAST($p AS JSON)) AS VARCHAR)",
        {"t": target, "p": patch},
    )
    assert json.loads(str(got)) == merged


def test_json_object_builds_the_same_object(engine: Engine) -> None:
    got = engine.scalar(
        "SELECT CAST(json_object('fact', 'visits', 'raw', CAST($raw AS VARCHAR), 'n', 3) "
        "AS VARCHAR)",
        {"raw": "Select"},
    )
    assert json.loads(str(got)) == {"fact": "visits", "raw": "Select", "n": 3}


AWKWARD = [
    "",
    None,
    'say "hi", then go',
    "two\nlines\r\nand a tab\t",
    "\\.",
    "back\\slash",
    "NULL",
    "ünïcødé ✓",
    " padded ",
]


@pytest.mark.parametrize("rows", [3, 120_001], ids=["few", "several batches"])
def test_registered_arrow_rows_come_back_exactly(engine: Engine, rows: int) -> None:
    """Empty strings stay empty and NULLs stay NULL; quotes, newlines, floats and times
    survive; a table larger than one copy batch arrives whole."""
    n = range(rows)
    data = pa.table(
        {
            "i": list(n),
            "s": [AWKWARD[i % len(AWKWARD)] for i in n],
            "x": [None if i % 5 == 0 else i / 7 + 1e-12 for i in n],
            "ok": [None if i % 4 == 0 else i % 2 == 0 for i in n],
            "seen": [None if i % 6 == 0 else T + timedelta(microseconds=i) for i in n],
            "tags": [[f"t{i}", ""] if i % 2 else None for i in n],
        }
    )
    flat = data.drop_columns(["tags"])
    for name, table in (("_t_flat", flat), ("_t_nested", data)):
        engine.register_arrow(name, table)
        try:
            back = engine.fetch_arrow(f"SELECT * FROM {name} ORDER BY i")
            assert back.to_pylist() == table.to_pylist(), name
        finally:
            engine.unregister(name)


def test_a_transaction_commits_together_or_not_at_all(engine: Engine, table: str) -> None:
    with engine.transaction():
        engine.execute(f"INSERT INTO {table} (id, n) VALUES ('c', 3)")
        with engine.transaction():  # nested: joins the outer one
            engine.execute(f"INSERT INTO {table} (id, n) VALUES ('d', 4)")
    assert engine.scalar(f"SELECT count(*) FROM {table}") == 4

    with pytest.raises(RuntimeError, match="boom"), engine.transaction():
        engine.execute(f"INSERT INTO {table} (id, n) VALUES ('e', 5)")
        with engine.transaction():
            engine.execute(f"INSERT INTO {table} (id, n) VALUES ('f', 6)")
            raise RuntimeError("boom")
    assert engine.scalar(f"SELECT count(*) FROM {table}") == 4
    # the engine is usable after a rollback
    engine.execute(f"INSERT INTO {table} (id, n) VALUES ('g', 7)")
    assert engine.scalar(f"SELECT max(n) FROM {table}") == 7


def test_temp_tables_can_be_replaced(engine: Engine) -> None:
    for n in (1, 2):
        engine.execute("CREATE OR REPLACE TEMP TABLE _t_tmp AS SELECT $n AS n", {"n": n})
    assert engine.scalar("SELECT n FROM _t_tmp") == 2
    engine.execute("CREATE OR REPLACE TEMP TABLE _t_tmp AS SELECT ? AS n, '%s' AS s", [3])
    assert engine.fetch("SELECT n, s FROM _t_tmp") == [(3, "%s")]
    assert engine.table_exists("_t_tmp") and engine.table_exists("leads")
    engine.execute("DROP TABLE _t_tmp")
    assert not engine.table_exists("_t_tmp")


def test_asof_join_picks_the_latest_row_at_or_before(engine: Engine) -> None:
    """lifecycle/imported.py reads 'the stage at that time' with an ASOF join."""
    engine.execute("CREATE TEMP TABLE _t_h (k VARCHAR, t BIGINT, s VARCHAR)")
    engine.execute("INSERT INTO _t_h VALUES ('a', 1, 'x'), ('a', 5, 'y'), ('b', 2, 'z')")
    rows = engine.fetch(
        "SELECT r.k, r.t, h.s FROM (VALUES ('a', 0), ('a', 1), ('a', 4), ('a', 9), ('b', 1)) "
        "AS r(k, t) ASOF LEFT JOIN _t_h AS h ON h.k = r.k AND r.t >= h.t ORDER BY r.k, r.t"
    )
    assert rows == [("a", 0, None), ("a", 1, "x"), ("a", 4, "x"), ("a", 9, "y"), ("b", 1, None)]


def test_rendered_sql_runs_as_is_on_its_own_engine_only(engine: Engine) -> None:
    rendered = engine.render("SELECT $n + 1 AS m")
    assert engine.scalar(rendered, {"n": 1}) == 2
    if engine.DIALECT != "duckdb":
        from leadline.store.duckdb import DuckDBEngine

        other = DuckDBEngine.at(":memory:")
        try:
            with pytest.raises(EngineError, match="rendered for postgres"):
                other.fetch(rendered, {"n": 1})
        finally:
            other.close()


def test_migrating_again_changes_nothing(engine: Engine) -> None:
    assert schema_version(engine) == SCHEMA_VERSION
    before = engine.fetch("SELECT version, applied_at FROM schema_migrations ORDER BY version")
    assert migrate(engine) == SCHEMA_VERSION
    assert engine.fetch("SELECT version, applied_at FROM schema_migrations ORDER BY version") == (
        before
    )


def test_a_lock_makes_a_second_writer_wait_for_the_first(engine: Engine) -> None:
    """Two threads increment one counter with read-then-write: no update is lost."""
    engine.execute("CREATE TABLE counter (n BIGINT)")
    engine.execute("INSERT INTO counter VALUES (0)")
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(20):
                with engine.transaction():
                    engine.lock("counter")
                    n = int(engine.scalar("SELECT n FROM counter"))
                    engine.execute("UPDATE counter SET n = ?", [n + 1])
        except BaseException as err:  # reported below, not swallowed
            errors.append(err)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert engine.scalar("SELECT n FROM counter") == 80


@pytest.mark.parametrize(
    ("params", "want"),
    [
        ({"ids": ["a"], "since": T}, ["a"]),
        ({"ids": ["a", "b%"], "since": datetime(2000, 1, 1)}, ["a"]),  # b% has no time
        ({"ids": ["it's", "b%"], "since": datetime(2000, 1, 1)}, []),  # quotes stay text
        ({"ids": [], "since": T}, []),
        ({"ids": ["a"], "since": None}, []),
    ],
)
def test_a_prepared_statement_gives_what_the_plain_one_gives(
    engine: Engine, table: str, params: dict[str, object], want: list[str]
) -> None:
    sql = (
        f"SELECT id FROM {table} WHERE id = ANY(CAST($ids AS TEXT[])) "
        "AND seen >= CAST($since AS TIMESTAMP) ORDER BY id"
    )
    for _ in range(2):  # planned once, run twice
        assert [r[0] for r in engine.fetch_prepared(sql, params)] == want
    assert [r[0] for r in engine.fetch(sql, params)] == want


def test_prepared_values_are_written_as_literals_or_refused() -> None:
    from leadline.store.duckdb import sql_literal

    assert sql_literal("it's") == "'it''s'"
    assert sql_literal(["a", "b"]) == "['a', 'b']"
    assert sql_literal([]) == "CAST([] AS VARCHAR[])"
    assert sql_literal(T) == "TIMESTAMP '2026-03-01 09:30:15.123456'"
    assert sql_literal(None) == "NULL"
    assert sql_literal(True) == "TRUE"
    assert sql_literal(3) == "3"
    assert sql_literal(0.5) == "CAST(0.5 AS DOUBLE)"
    for bad in (float("nan"), {"a": 1}, T.astimezone()):
        with pytest.raises(EngineError):
            sql_literal(bad)
