"""Key lookups in short lists: the same rows as one IN list, on every engine."""

from __future__ import annotations

import pytest

from leadline.store.base import Engine
from leadline.store.lookups import KEYS_PER_LOOKUP, SCAN_FROM, keyed


@pytest.mark.parametrize(
    "n", [0, 1, KEYS_PER_LOOKUP, KEYS_PER_LOOKUP + 1, 3 * KEYS_PER_LOOKUP + 7, SCAN_FROM]
)
def test_a_chunked_lookup_reads_exactly_the_rows_of_its_keys(engine: Engine, n: int) -> None:
    engine.execute("CREATE TABLE t (k VARCHAR, v INTEGER)")
    engine.execute(
        "INSERT INTO t SELECT 'k' || CAST(i % 300 AS VARCHAR), i FROM range(900) AS r(i)"
    )
    keys = [f"k{i}" for i in range(0, 2 * n, 2)]  # every other key, some past the table's
    sql, params = keyed("k, v", "t", "k", keys)
    lookups = 1 if n >= SCAN_FROM else max(1, -(-n // KEYS_PER_LOOKUP))  # else one scan
    assert sql.count("UNION ALL") == lookups - 1 and len(params) == lookups
    got = sorted(engine.fetch(f"SELECT k, v FROM ({sql}) AS x", params))
    want = sorted(engine.fetch("SELECT k, v FROM t WHERE k = ANY($keys)", {"keys": keys}))
    assert got == want
    assert len(got) == 3 * sum(1 for k in keys if int(k[1:]) < 300)


def test_two_lookups_in_one_statement_keep_their_parameters_apart() -> None:
    a_sql, a = keyed("*", "a", "id", ["x"], name="a")
    b_sql, b = keyed("*", "b", "id", ["y"], name="b")
    assert a == {"a0": ["x"]} and b == {"b0": ["y"]}
    assert "$a0" in a_sql and "$b0" in b_sql


def test_a_key_given_twice_is_read_once(engine: Engine) -> None:
    engine.execute("CREATE TABLE t (k VARCHAR, v INTEGER)")
    engine.execute("INSERT INTO t SELECT 'k' || CAST(i AS VARCHAR), i FROM range(100) AS r(i)")
    keys = [f"k{i}" for i in range(KEYS_PER_LOOKUP + 5)] * 2  # the repeats land in other chunks
    sql, params = keyed("k, v", "t", "k", keys)
    got = engine.fetch(f"SELECT k, v FROM ({sql}) AS x", params)
    assert sorted(got) == sorted((f"k{i}", i) for i in range(KEYS_PER_LOOKUP + 5))
