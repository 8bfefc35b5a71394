"""SLA tests run on the same small sales floor as the routing tests."""

from __future__ import annotations

import pytest

from leadline.store.duckdb import DuckDBEngine

from ..routing.floor import Floor


@pytest.fixture
def floor(engine: DuckDBEngine) -> Floor:
    return Floor(engine)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """SLA tracking runs on every store: DuckDB and PostgreSQL (see tests/conftest.py)."""
    if "engine" in metafunc.fixturenames:
        metafunc.parametrize("engine", ("duckdb", "postgres"), indirect=True)
