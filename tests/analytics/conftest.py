"""Fixtures for the report tests: the story world (see story.py for who did what when)."""

from __future__ import annotations

import pytest

from leadline.store.duckdb import DuckDBEngine

from . import story as the_story
from .world import World


@pytest.fixture
def story(engine: DuckDBEngine) -> World:
    return the_story.tell(engine)
