"""A tiny, hand-made world written straight into a real store, so every expected figure
in the report tests can be worked out by hand (and is, in the tests' comments).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadline.analytics.query import ReportQuery, Segment
from leadline.analytics.registry import ReportResult, run_report
from leadline.contract.schema import Contract
from leadline.store.base import Engine

NOW = datetime(2026, 6, 1)


def t(text: str) -> datetime:
    """'2026-01-10' or '2026-01-10 12:00' → datetime."""
    return datetime.fromisoformat(text)


@dataclass
class World:
    engine: Engine
    contract: Contract | None = None
    _transition: int = 0
    _disposition: int = 0
    _stage: dict[str, str] = field(default_factory=dict)

    # -- people and deals -------------------------------------------------------
    def lead(
        self,
        lead_id: str,
        *,
        channel: str | None = "organic",
        campaign: str | None = None,
        source: str | None = "Web form",
        created: str | None = "2026-01-05",
        converted: bool | None = None,
        attributes: dict[str, str] | None = None,
        merged_into: str | None = None,
        account: str | None = None,
        email: str | None = None,
    ) -> World:
        self.engine.execute(
            "INSERT INTO leads (lead_id, email, channel, campaign_id, lead_source, created_at, "
            "converted, attributes, merged_into, account_id, first_name, last_name, company) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                lead_id,
                email or f"{lead_id.lower()}@example.org",
                channel,
                campaign,
                source,
                t(created) if created else None,
                converted,
                json.dumps(attributes) if attributes else None,
                merged_into,
                account,
                "First",
                lead_id,
                f"Company {lead_id}",
            ],
        )
        return self

    def moves(self, lead_id: str, *steps: tuple[str, str], actor: str = "test") -> World:
        """Append stage moves: (to_stage, when), from the lead's current stage."""
        for to_stage, when in steps:
            self._transition += 1
            self.engine.execute(
                "INSERT INTO stage_history (transition_id, lead_id, from_stage, to_stage, "
                "changed_at, actor, source, contract_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    self._transition,
                    lead_id,
                    self._stage.get(lead_id, "lead"),
                    to_stage,
                    t(when),
                    actor,
                    "manual",
                    "v-test",
                ],
            )
            self._stage[lead_id] = to_stage
        return self

    def opp(
        self,
        opp_id: str,
        lead_id: str | None,
        amount: float,
        *,
        created: str | None,
        stage: str = "open",
        closed: str | None = None,
        product: str | None = None,
        owner: str | None = None,
        account: str | None = None,
        attributes: dict[str, str] | None = None,
    ) -> World:
        self.engine.execute(
            "INSERT INTO opportunities (opportunity_id, lead_id, amount, created_at, stage, "
            "closed_at, product, owner, account_id, attributes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?)",
            [
                opp_id,
                lead_id,
                amount,
                t(created) if created else None,
                stage,
                t(closed) if closed else None,
                product,
                owner,
                account,
                json.dumps(attributes) if attributes else None,
            ],
        )
        return self

    def account(
        self, account_id: str, *, industry: str | None = None, owner: str | None = None
    ) -> World:
        self.engine.execute(
            "INSERT INTO accounts (account_id, name, industry, owner) VALUES (?, ?, ?, ?)",
            [account_id, f"Account {account_id}", industry, owner],
        )
        return self

    # -- marketing ----------------------------------------------------------------
    def campaign(self, campaign_id: str, channel: str, *costs: tuple[str, str, float]) -> World:
        self.engine.execute(
            "INSERT INTO campaigns (campaign_id, name, channel) VALUES (?, ?, ?)",
            [campaign_id, f"Campaign {campaign_id}", channel],
        )
        for start, end, cost in costs:
            self.engine.execute(
                "INSERT INTO campaign_costs (campaign_id, period_start, period_end, cost) "
                "VALUES (?, CAST(? AS DATE), CAST(? AS DATE), ?)",
                [campaign_id, start, end, cost],
            )
        return self

    def touch(self, lead_id: str, campaign_id: str, when: str, event: str | None = None) -> World:
        self.engine.execute(
            "INSERT INTO touches (source, source_event_id, lead_id, campaign_id, touched_at) "
            "VALUES ('test', ?, ?, ?, ?)",
            [event or f"{lead_id}-{campaign_id}-{when}", lead_id, campaign_id, t(when)],
        )
        return self

    def content(self, content_id: str, *, gated: bool, title: str | None = None) -> World:
        self.engine.execute(
            "INSERT INTO content (content_id, title, gated, content_type, journey_stage) "
            "VALUES (?, ?, ?, 'ebook', 'problem')",
            [content_id, title or f"Asset {content_id}", gated],
        )
        return self

    def activity(self, lead_id: str, kind: str, when: str, *, content: str | None = None) -> World:
        self.engine.execute(
            "INSERT INTO activities (source, source_event_id, lead_id, activity_type, "
            "occurred_at, content_id, ingested_at) VALUES ('test', ?, ?, ?, ?, ?, ?)",
            [f"{lead_id}-{kind}-{when}-{content}", lead_id, kind, t(when), content, NOW],
        )
        return self

    # -- sales ----------------------------------------------------------------------
    def rep(self, rep_id: str, name: str, email: str, team: str = "sdr") -> World:
        self.engine.execute(
            "INSERT INTO reps (rep_id, name, email, team, active) VALUES (?, ?, ?, ?, true)",
            [rep_id, name, email, team],
        )
        return self

    def disposition(
        self,
        lead_id: str,
        action: str,
        when: str,
        *,
        reason: str | None = None,
        actor: str | None = None,
    ) -> World:
        self._disposition += 1
        self.engine.execute(
            "INSERT INTO dispositions (disposition_id, source, source_event_id, lead_id, action, "
            "reason, actor, decided_at) VALUES (?, 'test', ?, ?, ?, ?, ?, ?)",
            [
                self._disposition,
                str(self._disposition),
                lead_id,
                action,
                reason,
                actor,
                t(when),
            ],
        )
        return self

    def clock(
        self,
        clock_id: int,
        lead_id: str,
        *,
        kind: str = "speed_to_lead",
        rep: str | None,
        priority: str = "A1",
        started: str,
        due: str,
        stopped: str | None = None,
    ) -> World:
        self.engine.execute(
            "INSERT INTO sla_clocks (clock_id, lead_id, kind, assignment_id, mql_transition_id, "
            "rep_id, priority, timezone, budget, budget_seconds, started_at, due_at, stopped_at, "
            "contract_version) VALUES (?, ?, ?, ?, 0, ?, ?, 'UTC', '1h', 3600, ?, ?, ?, 'v')",
            [
                clock_id,
                lead_id,
                kind,
                clock_id,
                rep,
                priority,
                t(started),
                t(due),
                t(stopped) if stopped else None,
            ],
        )
        return self

    def assignment(self, assignment_id: int, lead_id: str, rep: str, when: str) -> World:
        self.engine.execute(
            "INSERT INTO assignments (assignment_id, lead_id, rep_id, rule, off_hours, "
            "assigned_at, mql_transition_id, mql_at, contract_version) "
            "VALUES (?, ?, ?, 'test', false, ?, 0, ?, 'v')",
            [assignment_id, lead_id, rep, t(when), t(when)],
        )
        return self

    def score_run(self, run_id: int, as_of: str, *rows: tuple[str, float, str]) -> World:
        """A finished score run with (lead_id, score, grade) snapshots."""
        self.engine.execute(
            "INSERT INTO score_runs (run_id, as_of, contract_version, started_at, finished_at) "
            "VALUES (?, ?, 'v', ?, ?)",
            [run_id, t(as_of), t(as_of), t(as_of)],
        )
        for lead_id, score, grade in rows:
            self.engine.execute(
                "INSERT INTO score_snapshots (run_id, lead_id, as_of, contract_version, "
                "fit_points, grade, engagement, intent, score, priority, priority_rank, "
                "qualifies_mql, mql_reason) VALUES (?, ?, ?, 'v', 0, ?, ?, 0, ?, 'A2', 5, "
                "?, 'test')",
                [run_id, lead_id, t(as_of), grade, score, score, score >= 50],
            )
        return self

    # -- asking -----------------------------------------------------------------------
    def report(
        self,
        name: str,
        *,
        as_of: str = "2026-06-01",
        start: str | None = None,
        end: str | None = None,
        **kw: str,
    ) -> ReportResult:
        segment = {k: v for k, v in kw.items() if k in Segment.__dataclass_fields__}
        options = {k: v for k, v in kw.items() if k not in segment}
        query = ReportQuery(
            start=t(start) if start else None,
            end=t(end) if end else None,
            as_of=t(as_of),
            segment=Segment(**segment),
            options=options,
        )
        return run_report(self.engine, name, query, self.contract)


def by(rows: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    return {r[key]: r for r in rows}
