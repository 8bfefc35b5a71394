"""The same reports on PostgreSQL: every report's SQL renders for it and gives DuckDB's answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot.errors import ErrorLevel

from leadline.analytics.registry import reports
from leadline.store import migrate
from leadline.store.base import Engine
from leadline.store.duckdb import DuckDBEngine

from .story import tell
from .world import World

OPTIONS: dict[str, dict[str, str]] = {"attribution": {"model": "all"}}


class Recording(DuckDBEngine):
    """A DuckDB store that keeps every query it is asked (to render them for PostgreSQL)."""

    queries: list[str]

    def fetch_dicts(self, sql: Any, params: Any = None) -> list[dict[str, Any]]:
        self.queries.append(sql)
        return super().fetch_dicts(sql, params)


@pytest.fixture
def recording(tmp_path: Path) -> Iterator[Recording]:
    eng = Recording.at(tmp_path / "rec.duckdb")
    eng.queries = []
    migrate(eng)
    yield eng
    eng.close()


def test_every_report_renders_for_postgres(recording: Recording) -> None:
    world = World(recording)
    for name in reports():
        recording.queries.clear()
        for kw in ({}, {"rep": "R1", "grade": "A", "channel": "paid", "product": "Core"}):
            world.report(name, start="2026-01-01", end="2026-03-01", **kw)
        assert recording.queries, name
        for sql in recording.queries:
            sqlglot.transpile(
                sql, read="duckdb", write="postgres", unsupported_level=ErrorLevel.RAISE
            )


def plain(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    from leadline.store.postgres import PostgresEngine

    eng = PostgresEngine.at(pg_url)
    migrate(eng)
    yield eng
    eng.close()


def test_postgres_gives_duckdbs_answer(pg_engine: Engine, engine: DuckDBEngine) -> None:
    duck, pg = tell(engine), tell(pg_engine)
    for name in reports():
        for kw in ({}, {"channel": "paid"}, {"start": "2026-01-01", "end": "2026-02-15"}):
            expected = duck.report(name, **kw).to_dict()
            got = pg.report(name, **kw).to_dict()
            assert plain(got["summary"]) == plain(expected["summary"]), (name, kw)
            assert plain(got["tables"]) == plain(expected["tables"]), (name, kw)
