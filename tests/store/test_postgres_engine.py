"""What only the PostgreSQL engine has: connections per thread, server-side locks."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest

from leadline.errors import EngineError
from leadline.store.postgres import PostgresEngine


@pytest.fixture
def pg(pg_url: str) -> Iterator[PostgresEngine]:
    engine = PostgresEngine.at(pg_url, application_name="leadline-test")
    yield engine
    engine.close()


def _connections(engine: PostgresEngine) -> int:
    return int(
        engine.scalar(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE application_name = 'leadline-test' AND datname = current_database()"
        )
    )


def test_each_thread_has_its_own_connection_and_ended_threads_give_theirs_back(
    pg: PostgresEngine,
) -> None:
    seen: list[int] = []

    def work() -> None:
        seen.append(int(pg.scalar("SELECT pg_backend_pid()")))

    for _ in range(5):  # one after the other: each ends before the next connects
        t = threading.Thread(target=work)
        t.start()
        t.join()
    assert len(set(seen)) == 5 and int(pg.scalar("SELECT pg_backend_pid()")) not in seen
    assert _connections(pg) <= 2  # this thread's, and at most the last worker's


def test_a_transaction_is_the_threads_own(pg: PostgresEngine) -> None:
    """Another thread's statements do not join (or see) an open transaction."""
    pg.execute("CREATE TABLE t (n BIGINT)")
    seen: list[int] = []
    with pg.transaction():
        pg.execute("INSERT INTO t VALUES (1)")
        reader = threading.Thread(
            target=lambda: seen.append(int(pg.scalar("SELECT count(*) FROM t")))
        )
        reader.start()
        reader.join()
    assert seen == [0] and pg.scalar("SELECT count(*) FROM t") == 1


def test_a_lock_outside_a_transaction_is_a_bug_said_plainly(pg: PostgresEngine) -> None:
    with pytest.raises(EngineError, match="inside a transaction"):
        pg.lock("lead:L1")


def test_a_closed_engine_says_so(pg_url: str) -> None:
    engine = PostgresEngine.at(pg_url)
    engine.close()
    with pytest.raises(EngineError, match="closed"):
        engine.scalar("SELECT 1")


@pytest.mark.parametrize(
    "lookup",
    [
        "SELECT lead_id FROM leads WHERE merged_into = ANY(%(ids)s)",
        "SELECT lead_id FROM leads WHERE account_id = ANY(%(ids)s)",
        "SELECT lead_id FROM leads WHERE email = ANY(%(ids)s)",
        "SELECT * FROM activities WHERE lead_id = ANY(%(ids)s)",
        "SELECT * FROM stage_history WHERE lead_id = ANY(%(ids)s)",
        "SELECT * FROM score_snapshots WHERE run_id = 1 AND lead_id = ANY(%(ids)s)",
        # an import's or a lead upsert's references and duplicates (ingest/stage.py)
        "SELECT lead_id FROM leads WHERE lower(email) IN (SELECT unnest(%(ids)s::text[]))",
        "SELECT account_id FROM accounts WHERE merged_into IS NULL AND domain IS NOT NULL "
        "AND lower(domain) IN (SELECT unnest(%(ids)s::text[]))",
    ],
)
def test_the_real_time_lookups_have_an_index(pg_url: str, lookup: str) -> None:
    """Each key lookup one event makes can use an index: on a million leads a scan of
    ``leads`` for the duplicates merged into one lead cost ~90 ms per lookup."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("SET enable_seqscan = off")  # a scan only where no index serves
        plan = conn.execute(b"EXPLAIN " + lookup.encode(), {"ids": ["L1", "L2"]}).fetchall()
    text = "\n".join(str(row[0]) for row in plan)
    assert "Seq Scan" not in text, text
