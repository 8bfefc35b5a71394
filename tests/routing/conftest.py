"""The ``floor`` fixture: a small sales floor in a real DuckDB store (see floor.py)."""

from __future__ import annotations

import pytest

from leadline.store.duckdb import DuckDBEngine

from .floor import Floor


@pytest.fixture
def floor(engine: DuckDBEngine) -> Floor:
    return Floor(engine)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Routing runs on every store: DuckDB and PostgreSQL (see tests/conftest.py)."""
    if "engine" in metafunc.fixturenames:
        metafunc.parametrize("engine", ("duckdb", "postgres"), indirect=True)
