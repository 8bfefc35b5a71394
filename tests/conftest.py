"""Shared fixtures: real DuckDB stores in temporary folders, real PostgreSQL, never mocks.

``engine`` is a migrated store.  In the areas listed in ``BOTH_ENGINES``
(whose tests are engine-neutral) every test that uses it runs twice, on
DuckDB and on PostgreSQL (a throw-away cluster, see tests/pg.py); a test
there that needs DuckDB itself says so with ``@pytest.mark.duckdb_only``.
Elsewhere ``engine`` is DuckDB.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from leadline.store import migrate
from leadline.store.base import Engine
from leadline.store.duckdb import DuckDBEngine
from tests import pg

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def shared_file(relative: str) -> Path:
    """A file from ../shared/data; fail (not skip) with a clear message if it is missing."""
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.fail(f"missing test data file {path}: the suite reads real data from ../shared/data")
    return path


# Test folders (under tests/) whose `engine` tests run on every engine.
BOTH_ENGINES = ("store", "scoring", "lifecycle", "api", "ingest")
ENGINE_KINDS = ("duckdb", "postgres")


def _area(path: Path) -> str:
    try:
        return path.resolve().relative_to(REPO / "tests").parts[0]
    except (ValueError, IndexError):
        return ""


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" not in metafunc.fixturenames:
        return
    both = _area(Path(str(metafunc.definition.path))) in BOTH_ENGINES
    if both and metafunc.definition.get_closest_marker("duckdb_only") is None:
        metafunc.parametrize("engine", ENGINE_KINDS, indirect=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pg.Cluster]:
    """One PostgreSQL server per test session (per xdist worker); skips only without one."""
    reason = pg.missing_reason()
    if reason:
        pytest.skip(reason)
    with pg.running_cluster() as cluster:
        yield cluster


@pytest.fixture
def pg_url(pg_cluster: pg.Cluster) -> Iterator[str]:
    """A fresh, migrated database of its own for one test (dropped afterwards)."""
    with pg_cluster.database() as url:
        yield url


@pytest.fixture
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    kind = getattr(request, "param", "duckdb")
    eng: Engine
    if kind == "postgres":
        from leadline.store.postgres import PostgresEngine

        url = request.getfixturevalue("pg_url")
        eng = PostgresEngine.at(url)
    else:
        eng = DuckDBEngine.at(tmp_path / "store.duckdb")
    migrate(eng)
    yield eng
    eng.close()
