"""``Leadline``: the one core object behind the CLI, the API and the tests.

It owns a workspace's store and contract.  The contract is loaded and
compiled once per object; batch scoring, single-lead explanations, contract
diffs and replays all run that same compilation, so they cannot disagree.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from leadline import ingest
from leadline.analytics.service import Analytics
from leadline.contract import LoadedContract, guard, load_contract
from leadline.contract.compiler import CompiledContract, compile_contract
from leadline.errors import ContractErrors, NotFound
from leadline.learn import artifacts as models
from leadline.lifecycle import auto, imported, moves
from leadline.lifecycle.history import STAGE_AS_OF_SQL, history_of
from leadline.routing import assign as routing
from leadline.routing import scores as few
from leadline.scoring import run as scoring
from leadline.store import DATABASE_URL_ENV, migrate, open_engine
from leadline.store.base import Engine
from leadline.store.duckdb import DuckDBEngine
from leadline.workspace import Workspace

Progress = Callable[[int, int], None]
_NEW_MQLS = "SELECT lead_id FROM stage_history WHERE score_run_id = ? AND to_stage = 'mql'"


def utcnow() -> datetime:
    """Naive UTC: the store keeps every timestamp in UTC without a zone."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@dataclass
class ScoreSummary:
    run_id: int
    as_of: datetime
    contract_version: str
    leads_scored: int
    transitions: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "contract_version": self.contract_version,
            "leads_scored": self.leads_scored,
            "transitions": self.transitions,
        }


class Leadline:
    """A workspace opened for work: its contract, compiled, and its store."""

    def __init__(self, workspace: Workspace, engine: Engine, *, contract_path: Path | None = None):
        self.workspace = workspace
        self.engine = engine
        self._contract_path = contract_path or workspace.contract_path
        migrate(engine)

    @classmethod
    def open(
        cls, workspace: str | Path | Workspace | None = None, *, database_url: str | None = None
    ) -> Leadline:
        """Open a workspace: its contract, and its store, migrated.

        The store is the workspace's DuckDB file unless ``database_url`` or
        ``$LEADLINE_DATABASE_URL`` names another (``postgresql://…`` for a
        deployment with many API workers; see docs/deployment.md).
        """
        ws = workspace if isinstance(workspace, Workspace) else Workspace.locate(workspace)
        ws.require()
        url = database_url or os.environ.get(DATABASE_URL_ENV)
        return cls(ws, open_engine(url) if url else DuckDBEngine.at(ws.store_path))

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> Leadline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reports and lead views (read-only) ---------------------------------
    @cached_property
    def analytics(self) -> Analytics:
        """Reports and lead views: what ``leadline report``, the API and the dashboard ask."""
        return Analytics(self.engine, lambda: self.loaded.contract)

    # -- the contract -----------------------------------------------------
    @cached_property
    def loaded(self) -> LoadedContract:
        return load_contract(self._contract_path)

    @cached_property
    def compiled(self) -> CompiledContract:
        return self.compile(self.loaded)

    def compile(self, loaded: LoadedContract) -> CompiledContract:
        """Compile a contract for this store: refused if it scores on post-contact fields."""
        self.check_contract(loaded)
        self._register_contract(loaded)
        return self._compile(loaded)

    def _compile(self, loaded: LoadedContract) -> CompiledContract:
        """Compile with the stored model the contract pins (``model:``), if any."""
        return compile_contract(
            loaded.contract, loaded.version, model=models.spec_for(self.engine, loaded)
        )

    def check_contract(self, loaded: LoadedContract) -> None:
        """Checks that need the data: conditions on fields mappings marked post-contact."""
        declared = {
            (str(table), str(name)): mapping
            for table, name, mapping in self.engine.fetch(
                "SELECT entity, field, mapping FROM field_catalog WHERE post_contact"
            )
        }
        problems = guard.post_contact_problems(loaded, declared)
        if problems:
            raise ContractErrors(problems=problems)

    def _register_contract(self, loaded: LoadedContract) -> None:
        self.engine.execute(
            "INSERT INTO contracts SELECT ?, ?, ?, ? WHERE NOT EXISTS "
            "(SELECT 1 FROM contracts WHERE version = ?)",
            [loaded.version, loaded.name, loaded.text, utcnow(), loaded.version],
        )

    # -- data in ----------------------------------------------------------
    def import_file(
        self,
        kind: str,
        path: str | Path,
        mapping: str | Path | None = None,
        *,
        progress: Progress | None = None,
        batch_size: int = 100_000,
    ) -> ingest.ImportSummary:
        """Import one file; dispositions are checked against the contract and applied."""
        checks = None
        if kind == "dispositions":
            checks = imported.disposition_checks(self.loaded.contract)
        summary = ingest.run_import(
            self.engine,
            kind,
            path,
            mapping,
            batch_size=batch_size,
            progress=progress,
            extra_checks=checks,
        )
        if kind == "dispositions":
            self._register_contract(self.loaded)
            imported.apply_dispositions(self.engine, self.loaded.version)
        return summary

    # -- scoring and stages -------------------------------------------------
    def score(
        self, as_of: datetime | None = None, progress: Progress | None = None
    ) -> ScoreSummary:
        """Score every lead as of a time and apply the automatic stage moves."""
        as_of = as_of or utcnow()
        compiled = self.compiled
        version = self.loaded.version
        run_id = int(self.engine.scalar("SELECT nextval('seq_score_run')"))
        self.engine.execute(
            "INSERT INTO score_runs (run_id, as_of, contract_version, started_at) "
            "VALUES (?, ?, ?, ?)",
            [run_id, as_of, version, utcnow()],
        )
        scoring.score_all(self.engine, compiled, as_of, run_id, progress=progress)
        since = self.engine.scalar(
            "SELECT max(as_of) FROM score_runs WHERE finished_at IS NOT NULL AND as_of < ?",
            [as_of],
        )
        moved = auto.apply_auto_transitions(
            self.engine,
            self.loaded.contract,
            version,
            f"(SELECT * FROM score_snapshots WHERE run_id = {run_id})",
            as_of,
            run_id,
            since=since,
        )
        # Leads this run made MQLs get an owner, a brief, notifications and SLA clocks.
        routed = routing.route_mqls(
            self.engine,
            compiled,
            version,
            [str(r[0]) for r in self.engine.fetch(_NEW_MQLS, [run_id])],
            as_of,
            snapshots=f"(SELECT * FROM score_snapshots WHERE run_id = {run_id})",
            parts=f"(SELECT * FROM score_parts WHERE run_id = {run_id})",
        )
        scored = int(
            self.engine.scalar("SELECT count(*) FROM score_snapshots WHERE run_id = ?", [run_id])
        )
        self.engine.execute(
            "UPDATE score_runs SET finished_at = ?, leads_scored = ?, transitions = ? "
            "WHERE run_id = ?",
            [utcnow(), scored, moved.total, run_id],
        )
        return ScoreSummary(
            run_id,
            as_of,
            version,
            scored,
            {
                "lead_to_mql": moved.to_mql,
                "recycled_to_mql": moved.requalified,
                "account_to_mqa": moved.to_mqa,
                "to_opportunity": moved.to_opportunity,
                "opportunity_closed": moved.closed,
                "mql_routed": sum(1 for a in routed if a.rep_id),
            },
        )

    def replay(
        self,
        start: datetime,
        end: datetime,
        step: timedelta = timedelta(days=1),
        progress: Progress | None = None,
        *,
        crm_facts: bool = True,
    ) -> dict[str, int]:
        """Walk history forward, applying the stage moves the contract implies at each step.

        Only the qualification verdicts are computed at each step (no snapshots
        are written); it is how a workspace built from history gets a stage
        history that matches what the contract would have done at the time.
        """
        totals: dict[str, int] = {
            "steps": 0,
            "lead_to_mql": 0,
            "recycled_to_mql": 0,
            "account_to_mqa": 0,
            "to_opportunity": 0,
            "opportunity_closed": 0,
        }
        query = self.compiled.snapshot_query().sql(dialect="duckdb")  # spliced, rendered below
        since: datetime | None = None
        moments = auto.schedule(start, end, step)
        for i, at in enumerate(moments):
            self.engine.execute(
                f"CREATE OR REPLACE TEMP TABLE _ll_replay AS {query}", {"as_of": at}
            )
            moved = auto.apply_auto_transitions(
                self.engine,
                self.loaded.contract,
                self.loaded.version,
                "_ll_replay",
                at,
                crm_facts=crm_facts,
                since=since,
            )
            since = at
            totals["steps"] += 1
            totals["lead_to_mql"] += moved.to_mql
            totals["recycled_to_mql"] += moved.requalified
            totals["account_to_mqa"] += moved.to_mqa
            totals["to_opportunity"] += moved.to_opportunity
            totals["opportunity_closed"] += moved.closed
            if progress:
                progress(i + 1, len(moments))
        self.engine.execute("DROP TABLE IF EXISTS _ll_replay")
        return totals

    def resolve_lead(self, ref: str) -> str:
        """A lead id or an email address → the surviving lead's id."""
        rows = self.engine.fetch(
            "SELECT coalesce(merged_into, lead_id) FROM leads WHERE lead_id = ? "
            "OR email = lower(trim(?)) ORDER BY (lead_id = ?) DESC, (merged_into IS NULL) DESC "
            "LIMIT 1",
            [ref, ref, ref],
        )
        if not rows:
            raise NotFound(f"no lead with id or email {ref!r}")
        return str(rows[0][0])

    def explain(self, ref: str, as_of: datetime | None = None) -> scoring.Explanation:
        """One lead's snapshot and every part behind it, scored now with the compiled plan.

        Through :mod:`leadline.routing.scores` (as briefs are): on DuckDB that reads a
        copy of just this lead's rows, not the whole store, with the same answer.
        """
        lead_id = self.resolve_lead(ref)
        at = as_of or utcnow()
        snaps, parts = few.lead_scores(self.engine, self.compiled, at, [lead_id])
        if lead_id not in snaps:
            raise NotFound(
                f"lead {lead_id!r} is not scored as of {at.isoformat()} "
                "(unknown, merged into another lead, or created later)"
            )
        return scoring.Explanation(
            lead_id, at, self.compiled.version, snaps[lead_id], parts.get(lead_id, [])
        )

    def leads(
        self,
        *,
        stage: str | None = None,
        grade: str | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """Leads from the latest score run, best priority first, with their current stage."""
        where = ["s.run_id = (SELECT max(run_id) FROM score_runs WHERE finished_at IS NOT NULL)"]
        params: dict[str, Any] = {"as_of": utcnow() + timedelta(days=36500), "limit": limit}
        if stage:
            where.append("coalesce(h.stage, 'lead') = $stage")
            params["stage"] = stage
        if grade:
            where.append("s.grade = $grade")
            params["grade"] = grade.upper()
        sql = f"""
            SELECT s.lead_id, l.email, l.company, l.title, coalesce(h.stage, 'lead') AS stage,
                   s.grade, round(s.score, 1) AS score, round(s.fit_points, 1) AS fit,
                   round(s.engagement, 1) AS engagement, round(s.intent, 1) AS intent,
                   s.priority, s.excluded_reason, s.mql_reason, s.as_of
            FROM score_snapshots AS s
            JOIN leads AS l ON l.lead_id = s.lead_id
            LEFT JOIN ({STAGE_AS_OF_SQL}) AS h ON h.lead_id = s.lead_id
            WHERE {" AND ".join(where)}
            ORDER BY s.priority_rank, s.score DESC, s.lead_id
            LIMIT $limit
        """
        return self.engine.fetch_dicts(sql, params)

    def stage_history(self, ref: str) -> list[dict[str, object]]:
        return history_of(self.engine, self.resolve_lead(ref))

    def disposition(
        self,
        ref: str,
        action: str,
        *,
        reason: str | None = None,
        note: str | None = None,
        actor: str = "cli",
        at: datetime | None = None,
    ) -> moves.Transition:
        return moves.dispose(
            self.engine,
            self.loaded.contract,
            self.loaded.version,
            self.resolve_lead(ref),
            action,
            at=at or utcnow(),
            actor=actor,
            reason=reason,
            note=note,
        )

    def move(
        self,
        ref: str,
        to_stage: str,
        *,
        reason: str | None = None,
        note: str | None = None,
        actor: str = "cli",
        at: datetime | None = None,
        qualification: dict[str, str | None] | None = None,
    ) -> moves.Transition:
        return moves.move(
            self.engine,
            self.loaded.contract,
            self.loaded.version,
            self.resolve_lead(ref),
            to_stage,
            at=at or utcnow(),
            actor=actor,
            reason=reason,
            note=note,
            qualification=qualification,
        )

    # -- contract changes ---------------------------------------------------
    def contract_impact(
        self,
        old: LoadedContract,
        new: LoadedContract,
        as_of: datetime | None = None,
        *,
        limit: int = 20,
    ) -> dict[str, Any]:
        """Score every lead with both contracts as of one time and compare the verdicts."""
        as_of = as_of or utcnow()
        for name, loaded in (("_ll_old", old), ("_ll_new", new)):
            query = self._compile(loaded).snapshot_query().sql(dialect="duckdb")
            self.engine.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {query}", {"as_of": as_of})
        joined = """FROM _ll_old AS o JOIN _ll_new AS n USING (lead_id)"""
        counts = self.engine.fetch_dicts(
            f"""SELECT count(*) AS leads,
                count(*) FILTER (WHERE o.grade <> n.grade) AS grade_changed,
                count(*) FILTER (WHERE n.qualifies_mql AND NOT o.qualifies_mql) AS mql_gained,
                count(*) FILTER (WHERE o.qualifies_mql AND NOT n.qualifies_mql) AS mql_lost,
                count(*) FILTER (WHERE o.priority <> n.priority) AS priority_changed
            {joined}"""
        )[0]
        changed = self.engine.fetch_dicts(
            f"""SELECT lead_id, o.grade AS old_grade, n.grade AS new_grade,
                   round(o.score, 1) AS old_score, round(n.score, 1) AS new_score,
                   o.qualifies_mql AS old_mql, n.qualifies_mql AS new_mql,
                   n.mql_reason AS new_reason
            {joined}
            WHERE o.grade <> n.grade OR o.qualifies_mql <> n.qualifies_mql
            ORDER BY (o.qualifies_mql <> n.qualifies_mql) DESC, n.priority_rank, lead_id
            LIMIT ?""",
            [limit],
        )
        self.engine.execute("DROP TABLE IF EXISTS _ll_old")
        self.engine.execute("DROP TABLE IF EXISTS _ll_new")
        return {"as_of": as_of.isoformat(), **counts, "changed_leads": changed}
