"""A small fixture world: accounts, leads, content and activities inserted
straight into a migrated DuckDB store, plus helpers to score it.

Tests describe only what matters to them; everything else gets a neutral
default (no account, created long before T, no free mail).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from leadline.contract.compiler import CompiledContract, compile_contract
from leadline.contract.schema import Contract
from leadline.scoring import run
from leadline.store.duckdb import DuckDBEngine

T = datetime(2024, 6, 1, 12, 0, 0)
BASE_CONTRACT: dict[str, Any] = {
    "contract": "test",
    "fit": {"rules": [], "grades": {"A": 50, "B": 30, "C": 10}},
    "behaviour": {"half_life_days": 30, "lookback_days": 365, "rules": []},
    "exclude": {"free_mail_without_company": False},
    "stages": {"mql": {"min_grade": "B", "min_score": 60}},
}


def contract(**sections: Any) -> CompiledContract:
    """BASE_CONTRACT with top-level sections replaced (``fit=...``) or merged
    one level deep (``behaviour__rules=[...]``), compiled."""
    data = copy.deepcopy(BASE_CONTRACT)
    for key, value in sections.items():
        if "__" in key:
            top, sub = key.split("__", 1)
            data.setdefault(top, {})[sub] = value
        else:
            data[key] = value
    return compile_contract(Contract.model_validate(data), "test-v1")


def days_before(days: float, at: datetime = T) -> datetime:
    return at - timedelta(days=days)


@dataclass
class World:
    engine: DuckDBEngine
    _event: int = 0
    leads: list[str] = field(default_factory=list)

    def account(self, account_id: str, **fields: Any) -> str:
        self._insert("accounts", {"account_id": account_id, **fields})
        return account_id

    def lead(self, lead_id: str, **fields: Any) -> str:
        row = {
            "lead_id": lead_id,
            "created_at": datetime(2020, 1, 1),
            "is_free_mail": False,
            **fields,
        }
        self._insert("leads", row)
        self.leads.append(lead_id)
        return lead_id

    def content(self, content_id: str, topics: list[str], stage: str | None, **fields: Any) -> str:
        self._insert(
            "content",
            {"content_id": content_id, "topics": topics, "journey_stage": stage, **fields},
        )
        return content_id

    def activity(self, lead_id: str, activity_type: str, at: datetime, **fields: Any) -> None:
        self._event += 1
        self._insert(
            "activities",
            {
                "source": "test",
                "source_event_id": f"e{self._event}",
                "lead_id": lead_id,
                "activity_type": activity_type,
                "occurred_at": at,
                "ingested_at": at,
                **fields,
            },
        )

    def activities(
        self, lead_id: str, activity_type: str, ages: list[float], **fields: Any
    ) -> None:
        for age in ages:
            self.activity(lead_id, activity_type, days_before(age), **fields)

    def _insert(self, table: str, row: dict[str, Any]) -> None:
        cols = list(row)
        self.engine.execute(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
            [row[c] for c in cols],
        )

    # -- scoring helpers -----------------------------------------------------
    def scores(self, compiled: CompiledContract, as_of: datetime = T) -> dict[str, dict[str, Any]]:
        rows = self.engine.fetch_dicts(compiled.snapshot_query(), {"as_of": as_of})
        return {r["lead_id"]: r for r in rows}

    def score(
        self, compiled: CompiledContract, lead_id: str, as_of: datetime = T
    ) -> dict[str, Any]:
        return self.scores(compiled, as_of)[lead_id]

    def parts(
        self,
        compiled: CompiledContract,
        lead_id: str,
        component: str | None = None,
        as_of: datetime = T,
    ) -> dict[str, dict[str, Any]]:
        """A lead's parts by rule name (batch query, filtered here)."""
        rows = self.engine.fetch_dicts(compiled.parts_query(), {"as_of": as_of})
        return {
            r["rule"]: r
            for r in rows
            if r["lead_id"] == lead_id and (component is None or r["component"] == component)
        }

    def explain(
        self, compiled: CompiledContract, lead_id: str, as_of: datetime = T
    ) -> run.Explanation:
        return run.explain_lead(self.engine, compiled, as_of, lead_id)


@pytest.fixture
def world(engine: DuckDBEngine) -> World:
    return World(engine)
