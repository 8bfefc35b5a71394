"""A small sales floor: reps, accounts, leads and hand-raises in a real DuckDB store.

Leads become MQLs the way they do in production: the compiled plan scores
them and the automatic stage moves record the MQL; tests then route them.
Everything a test does not mention gets a neutral default.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from leadline.contract.compiler import CompiledContract, compile_contract
from leadline.contract.schema import Contract
from leadline.lifecycle import auto
from leadline.routing import Assignment, route_mqls
from leadline.store.duckdb import DuckDBEngine

# Monday 3 June 2024, 14:00 UTC: inside UTC and New York working hours.
MONDAY = datetime(2024, 6, 3, 14, 0)
VERSION = "routing-v1"

BASE: dict[str, Any] = {
    "contract": "routing-test",
    "owners": {"sales": "sales-ops@example.test"},
    "fit": {
        "rules": [
            {"name": "software", "field": "account.industry", "in": ["software"], "points": 30},
            {"name": "enterprise", "field": "account.employees", "at_least": 1000, "points": 30},
        ],
        "grades": {"A": 60, "B": 30, "C": 10},
    },
    "behaviour": {
        "rules": [
            {"name": "demo request", "activity": "demo_request", "points": 50},
            {"name": "content", "activity": "content_download", "points": 10},
            {"name": "page view", "activity": "page_view", "points": 1},
        ],
        "triggers": [{"name": "demo request", "activity": "demo_request", "min_grade": "B"}],
    },
    "exclude": {"free_mail_without_company": False},
    "stages": {"mql": {"min_grade": "B", "min_score": 40}},
    "routing": {
        "rules": [
            {"name": "account owner", "to": "account_owner"},
            {
                "name": "north america",
                "when": [{"field": "account.country", "in": ["US", "CA"]}],
                "round_robin": {"team": ["sdr"], "region": ["na"]},
            },
            {"name": "everyone", "round_robin": {"team": ["sdr"]}},
        ],
    },
    "sla": {
        "business_hours": {"start": "09:00", "end": "17:00", "timezone": "UTC"},
        "speed_to_lead": {"A1": "5m", "B": "1h", "default": "1d"},
        "accept_within": "1d",
    },
}


_COMPILED: dict[str, CompiledContract] = {}  # compiling takes ~0.3 s; contracts repeat


def make_contract(**sections: Any) -> Contract:
    """BASE with top-level sections replaced (``routing=...``) or merged one level deep
    (``routing__rules=[...]``)."""
    data = copy.deepcopy(BASE)
    for key, value in sections.items():
        if "__" in key:
            top, sub = key.split("__", 1)
            data.setdefault(top, {})[sub] = value
        elif value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return Contract.model_validate(data)


@dataclass
class Floor:
    """Insert rows, make MQLs, route them."""

    engine: DuckDBEngine
    contract: Contract = field(default_factory=make_contract)
    _event: int = 0
    _compiled: CompiledContract | None = None

    @property
    def compiled(self) -> CompiledContract:
        if self._compiled is None:
            key = json.dumps(self.contract.model_dump(mode="json"), sort_keys=True)
            if key not in _COMPILED:
                _COMPILED[key] = compile_contract(self.contract, VERSION)
            self._compiled = _COMPILED[key]
        return self._compiled

    def use(self, contract: Contract) -> Floor:
        self.contract = contract
        self._compiled = None
        return self

    def insert(self, table: str, row: dict[str, Any]) -> None:
        cols = list(row)
        self.engine.execute(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
            [row[c] for c in cols],
        )

    def rep(self, rep_id: str, **fields: Any) -> str:
        row = {
            "rep_id": rep_id,
            "name": f"Rep {rep_id}",
            "email": f"{rep_id.lower()}@example.test",
            "manager": "Morgan Manager",
            "team": "sdr",
            "region": "na",
            "timezone": "UTC",
            "capacity": 10,
            "active": True,
            **fields,
        }
        self.insert("reps", row)
        return rep_id

    def account(self, account_id: str, **fields: Any) -> str:
        row = {
            "account_id": account_id,
            "name": f"Account {account_id}",
            "industry": "software",
            "employees": 2000,
            "country": "US",
            **fields,
        }
        self.insert("accounts", row)
        return account_id

    def lead(self, lead_id: str, *, hand_raise: datetime | None = None, **fields: Any) -> str:
        row = {
            "lead_id": lead_id,
            "email": f"{lead_id.lower()}@client.test",
            "first_name": "Pat",
            "last_name": lead_id,
            "title": "VP Data",
            "created_at": datetime(2024, 1, 1),
            "is_free_mail": False,
            **fields,
        }
        self.insert("leads", row)
        if hand_raise is not None:
            self.activity(lead_id, "demo_request", hand_raise, url="/demo")
        return lead_id

    def activity(self, lead_id: str, kind: str, at: datetime, **fields: Any) -> None:
        self._event += 1
        self.insert(
            "activities",
            {
                "source": "test",
                "source_event_id": f"e{self._event}",
                "lead_id": lead_id,
                "activity_type": kind,
                "occurred_at": at,
                "ingested_at": at,
                **fields,
            },
        )

    def qualify(self, now: datetime) -> int:
        """Score everyone with the compiled plan and record the moves to MQL, as ``score`` does."""
        query = self.compiled.snapshot_query().sql(dialect="duckdb")  # spliced: reference SQL
        self.engine.execute("DROP TABLE IF EXISTS _t_snap")
        self.engine.execute(f"CREATE TEMP TABLE _t_snap AS {query}", {"as_of": now})
        moved = auto.apply_auto_transitions(
            self.engine,
            self.contract,
            VERSION,
            "_t_snap",
            now,
            crm_facts=False,
            since=now - timedelta(hours=1),  # MQLs dated at the hand-raise, as runs do
        )
        return moved.to_mql + moved.requalified

    def route(self, lead_ids: list[str], now: datetime) -> list[Assignment]:
        return route_mqls(self.engine, self.compiled, VERSION, lead_ids, now)

    def raise_and_route(self, lead_ids: list[str], now: datetime) -> dict[str, Assignment]:
        self.qualify(now)
        return {a.lead_id: a for a in self.route(lead_ids, now)}

    def owners(self) -> dict[str, str | None]:
        rows = self.engine.fetch("SELECT lead_id, rep_id FROM assignments ORDER BY assignment_id")
        return {str(lead): rep for lead, rep in rows}


def minutes(n: float, at: datetime = MONDAY) -> datetime:
    return at + timedelta(minutes=n)
