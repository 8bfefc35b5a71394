"""Shared fixtures: real DuckDB stores in temporary folders, never mocks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from leadline.store import migrate
from leadline.store.duckdb import DuckDBEngine

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def shared_file(relative: str) -> Path:
    """A file from ../shared/data; fail (not skip) with a clear message if it is missing."""
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.fail(f"missing test data file {path}: the suite reads real data from ../shared/data")
    return path


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[DuckDBEngine]:
    eng = DuckDBEngine.at(tmp_path / "store.duckdb")
    migrate(eng)
    yield eng
    eng.close()
