"""The backtest tests run on the same small seeded world as the learning tests."""

from __future__ import annotations

from tests.learn.conftest import demo, demo_built

__all__ = ["demo", "demo_built"]
