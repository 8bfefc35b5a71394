"""The outbox runs on every store: DuckDB and PostgreSQL (see tests/conftest.py)."""

from __future__ import annotations

import pytest


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The outbox runs on every store: DuckDB and PostgreSQL (see tests/conftest.py)."""
    if "engine" in metafunc.fixturenames:
        metafunc.parametrize("engine", ("duckdb", "postgres"), indirect=True)
