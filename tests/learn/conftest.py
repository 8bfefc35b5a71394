"""Fixtures for learning tests: the real X Education file and a small seeded world.

Each is built once per session (per xdist worker); tests that write get a copy.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.learn import world


@pytest.fixture(scope="session")
def x_education_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return world.x_education(tmp_path_factory.mktemp("x-education"))


@pytest.fixture
def x_education(x_education_built: Path, tmp_path: Path) -> Path:
    """A private copy of the X Education workspace."""
    return world.copy_workspace(x_education_built, tmp_path / "x-education")


@pytest.fixture(scope="session")
def demo_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return world.demo_world(tmp_path_factory.mktemp("demo-world"))


@pytest.fixture
def demo(demo_built: Path, tmp_path: Path) -> Path:
    """A private copy of the small seeded world (613 leads, 39 opportunities)."""
    return world.copy_workspace(demo_built, tmp_path / "demo")
