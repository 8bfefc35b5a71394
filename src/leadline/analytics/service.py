"""``Analytics``: the read side of a workspace, as the CLI, API and dashboard use it.

One object per open workspace (``Leadline.analytics``); every front door asks
it, never the store, so a report cannot be computed two ways.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from leadline.analytics import leads as lead_views
from leadline.analytics.query import ReportQuery, build_query
from leadline.analytics.registry import (
    Report,
    ReportResult,
    get_report,
    query_for,
    reports,
    run_report,
)
from leadline.contract.schema import Contract
from leadline.store.base import Engine


class Analytics:
    def __init__(self, engine: Engine, contract: Callable[[], Contract | None]) -> None:
        self.engine = engine
        self._contract = contract

    @staticmethod
    def reports() -> dict[str, Report]:
        return reports()

    @staticmethod
    def describe(name: str) -> Report:
        return get_report(name)

    @staticmethod
    def query(name: str | None, raw: Mapping[str, str | None]) -> ReportQuery:
        """Front-door input (strings) → a validated query (422 / exit 2 on bad input)."""
        return query_for(name, raw) if name else build_query(raw)

    def report(self, name: str, query: ReportQuery) -> ReportResult:
        return run_report(self.engine, name, query, self._safe_contract())

    def _safe_contract(self) -> Contract | None:
        """The contract, if it loads: reports that need it (sla) say when it does not."""
        try:
            return self._contract()
        except Exception:  # an invalid contract must not take every report down
            return None

    def lead_list(self, query: ReportQuery, **kw: Any) -> dict[str, Any]:
        return lead_views.lead_list(self.engine, query, **kw)

    def lead_detail(self, lead_id: str, query: ReportQuery) -> dict[str, Any]:
        return lead_views.lead_detail(self.engine, lead_id, query)

    def score_parts(self, lead_ids: list[str], query: ReportQuery) -> dict[str, Any]:
        return lead_views.score_parts(self.engine, lead_ids, query.params())

    def segment_choices(self) -> dict[str, list[str]]:
        """Values the dashboard's filter menus offer (what the store actually holds)."""
        rows = self.engine.fetch(
            """SELECT 'channel', channel FROM (SELECT DISTINCT channel FROM leads
                                              WHERE channel IS NOT NULL)
            UNION ALL SELECT 'campaign', campaign_id FROM campaigns
            UNION ALL SELECT 'source', lead_source FROM (SELECT DISTINCT lead_source FROM leads
                                                        WHERE lead_source IS NOT NULL)
            UNION ALL SELECT 'rep', rep_id FROM reps
            UNION ALL SELECT 'product', product FROM (SELECT DISTINCT product FROM opportunities
                                                     WHERE product IS NOT NULL)"""
        )
        out: dict[str, list[str]] = {
            "channel": [],
            "campaign": [],
            "source": [],
            "rep": [],
            "product": [],
            "grade": ["A", "B", "C", "D"],
        }
        for kind, value in rows:
            out[str(kind)].append(str(value))
        for key in ("channel", "campaign", "source", "rep", "product"):
            out[key].sort()
        return out
