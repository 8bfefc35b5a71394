"""``run_import``: one import run from file to store, with counts that add up.

The steps are: record the run, stage the file as strings, resolve the column
plan, normalise and check every row in SQL, resolve the leads rows belong
to, quarantine the bad rows, then load the good ones in atomic batches.

Staging and normalising run on DuckDB.  On the DuckDB store that is the store
itself; any other store (PostgreSQL) gets a scratch in-memory DuckDB for
them and the normalised table copied in, so every later step -- and the
counts -- are the same on both engines.  Each batch commits together with the
run's running counts, so a run killed part-way leaves a consistent store and
re-running the same file completes it: rows already loaded count as
*unchanged*, nothing is duplicated.

Invariant, checked before the run is marked completed:
``rows_in == loaded + unchanged + merged + quarantined``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from leadline.contract.schema import ACTIVITY_TYPES
from leadline.errors import LeadlineError, MappingError
from leadline.ingest import load, stage
from leadline.ingest.kinds import KIND_SPECS, KINDS
from leadline.ingest.normalize import ident
from leadline.ingest.plan import ColumnPlan, build_plan
from leadline.ingest.profiles import Mapping, Section, load_mapping
from leadline.ingest.readers import StagedFile, stage_file
from leadline.ingest.stage import RowProblem
from leadline.store.base import Engine
from leadline.store.duckdb import DuckDBEngine

Progress = Callable[[int, int], None]
ExtraChecks = Callable[[Engine, str], list[RowProblem]]
PROBLEM_SAMPLES = 20


@dataclass
class ImportSummary:
    """What one import run did; ``to_dict()`` is the stable form for scripts."""

    run_id: int
    kind: str
    file: str
    mapping: str | None
    rows_in: int = 0
    loaded: int = 0
    unchanged: int = 0
    merged: int = 0
    quarantined: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    derived: dict[str, int] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    status: str = "running"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["quarantined_by_reason"] = dict(sorted(self.quarantined_by_reason.items()))
        return data


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _check_facts(section: Section) -> None:
    if not section.facts:
        return
    for fact in section.facts.items:
        types = [fact.activity_type] if fact.activity_type else []
        types += [t for t in (fact.types or {}).values() if t]
        for t in types:
            if t not in ACTIVITY_TYPES:
                raise MappingError(f"facts.{fact.name}: unknown activity type {t!r}")
        if not fact.activity_type and fact.types is None:
            raise MappingError(f"facts.{fact.name}: give activity_type or types")


def _record_catalog(engine: Engine, plan: ColumnPlan, mapping: str | None, run_id: int) -> None:
    """Every attribute / post-contact key is catalogued; post_contact never downgrades."""
    rows = [(k, False) for k in plan.attributes] + [(k, True) for k in plan.post_contact]
    for key, post in rows:
        engine.execute(
            "INSERT INTO field_catalog (entity, field, post_contact, mapping, first_seen_run) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (entity, field) DO UPDATE SET "
            "post_contact = field_catalog.post_contact OR excluded.post_contact",
            [plan.kind.table, key, post, mapping, run_id],
        )


def _save(engine: Engine, s: ImportSummary, finished: datetime | None) -> None:
    summary = {
        "quarantined_by_reason": s.quarantined_by_reason,
        "derived": s.derived,
        "columns": s.columns,
    }
    engine.execute(
        "UPDATE import_runs SET status = ?, rows_in = ?, loaded = ?, unchanged = ?, "
        "merged = ?, quarantined = ?, summary = ?, finished_at = ? WHERE run_id = ?",
        [
            s.status,
            s.rows_in,
            s.loaded,
            s.unchanged,
            s.merged,
            s.quarantined,
            json.dumps(summary, sort_keys=True),
            finished,
            s.run_id,
        ],
    )


def run_import(
    engine: Engine,
    kind: str,
    path: str | Path,
    mapping: str | Path | None = None,
    *,
    batch_size: int = 100_000,
    progress: Progress | None = None,
    extra_checks: ExtraChecks | None = None,
    now: datetime | None = None,
    fmt: str | None = None,
) -> ImportSummary:
    """Import one file of ``kind``; see the module docstring and docs/import.md."""
    if kind not in KIND_SPECS:
        raise MappingError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    if batch_size < 1:
        raise MappingError("batch_size must be at least 1")
    spec = KIND_SPECS[kind]
    path = Path(path)
    profile: Mapping | None = load_mapping(mapping) if mapping is not None else None
    section = profile.section(kind) if profile else Section()
    _check_facts(section)
    now = now or _utcnow()
    run_id = int(engine.scalar("SELECT nextval('seq_import_run')"))
    s = ImportSummary(run_id, kind, str(path), profile.name if profile else None)
    engine.execute(
        "INSERT INTO import_runs (run_id, kind, file, mapping, started_at, status) "
        "VALUES (?, ?, ?, ?, ?, 'running')",
        [run_id, kind, str(path), s.mapping, now],
    )
    raw, norm, survivors = f"_ll_raw_{run_id}", f"_ll_norm_{run_id}", f"_ll_surv_{run_id}"
    raw_rows = f"_ll_rawrows_{run_id}"
    stager = engine if engine.STAGES_IN_PLACE else DuckDBEngine.at(":memory:")
    try:
        staged = stage_file(stager, path, raw, fmt)
        s.rows_in = staged.rows
        engine.execute(
            "UPDATE import_runs SET file_sha256 = ?, rows_in = ? WHERE run_id = ?",
            [staged.sha256, staged.rows, run_id],
        )
        plan = build_plan(spec, section, staged.headers, staged.staged)
        s.columns = plan.roles
        if spec.history:
            default_source = (
                path.name if spec.event_id == "row" else (profile.name if profile else path.stem)
            )
        else:
            default_source = ""
        stage.build_normalised(stager, plan, raw, norm, default_source)
        if stager is not engine:
            engine.register_arrow(norm, stager.fetch_arrow(f"SELECT * FROM {ident(norm)}"))
        stage.resolve_leads(engine, plan, norm)
        stage.flag_duplicates(engine, plan, norm)
        if extra_checks is not None:
            stage.apply_row_problems(engine, norm, extra_checks(engine, norm))
        has_survivors = stage.compute_survivors(engine, plan, norm, survivors)
        raw_source = _raw_rows(engine, stager, norm, raw, raw_rows, staged)
        with engine.transaction():
            stage.write_quarantine(engine, norm, raw_source, run_id, kind, str(path))
            _record_catalog(engine, plan, s.mapping, run_id)
            reasons = engine.fetch(
                f"SELECT _problem, count(*) FROM {ident(norm)} "
                "WHERE _problem IS NOT NULL GROUP BY 1"
            )
            s.quarantined_by_reason = {str(r): int(n) for r, n in reasons}
            s.quarantined = sum(s.quarantined_by_reason.values())
            s.problems = [
                f"{path}:{line if line is not None else 'row ' + str(row)}: {fld}: {msg}"
                for row, line, fld, msg in engine.fetch(
                    f"SELECT _row, _line, _problem_field, _problem_message FROM {ident(norm)} "
                    f"WHERE _problem IS NOT NULL ORDER BY _row LIMIT {PROBLEM_SAMPLES}"
                )
            ]
            _save(engine, s, None)
        _load_batches(
            engine,
            plan,
            section,
            norm,
            survivors if has_survivors else None,
            s,
            batch_size,
            progress,
            now,
        )
        total = s.loaded + s.unchanged + s.merged + s.quarantined
        if total != s.rows_in:
            raise LeadlineError(
                f"import run {run_id}: counts do not add up ({total} accounted for, "
                f"{s.rows_in} rows in); this is a bug"
            )
        s.status = "completed"
        _save(engine, s, _utcnow())
        return s
    except BaseException:
        s.status = "failed"
        with contextlib.suppress(Exception):  # the store itself may be what failed
            _save(engine, s, _utcnow())
        raise
    finally:
        for name in (raw, norm, survivors, raw_rows, stage.LEADREF_TABLE):
            with contextlib.suppress(Exception):
                engine.execute(f"DROP TABLE IF EXISTS {ident(name)}")
        if stager is not engine:
            stager.close()


def _raw_rows(
    engine: Engine, stager: Engine, norm: str, raw: str, name: str, staged: StagedFile
) -> str:
    """Where ``write_quarantine`` finds the file's own text of the bad rows.

    In place, a subquery over the staging table; otherwise the bad rows'
    text is fetched from the scratch stager and copied into the store.
    """
    rows = stage.raw_rows_sql(raw, staged.headers, staged.staged)
    if stager is engine:
        return f"({rows})"
    bad = engine.fetch_arrow(f"SELECT _row FROM {ident(norm)} WHERE _problem IS NOT NULL")
    stager.register_arrow("_ll_bad_rows", bad)
    wanted = stager.fetch_arrow(
        f"SELECT q.* FROM ({rows}) q WHERE q._row IN (SELECT _row FROM _ll_bad_rows)"
    )
    engine.register_arrow(name, wanted)
    return ident(name)


def _load_batches(
    engine: Engine,
    plan: ColumnPlan,
    section: Section,
    norm: str,
    survivors: str | None,
    s: ImportSummary,
    batch_size: int,
    progress: Progress | None,
    now: datetime,
) -> None:
    last_row = int(engine.scalar(f"SELECT coalesce(max(_row), 0) FROM {ident(norm)}") or 0)
    for lo in range(0, last_row, batch_size):
        hi = min(lo + batch_size, last_row)
        with engine.transaction():
            if plan.kind.history:
                counts = load.history_batch(engine, plan, norm, lo, hi, s.run_id, now)
            else:
                counts = load.entity_batch(engine, plan, norm, survivors, lo, hi, s.run_id, now)
            if section.facts:
                n = load.fact_batch(engine, plan, section.facts, norm, lo, hi, s.run_id, now)
                s.derived["activities"] = s.derived.get("activities", 0) + n
            s.loaded += counts.loaded
            s.unchanged += counts.unchanged
            s.merged += counts.merged
            _save(engine, s, None)
        if progress is not None:
            progress(hi, last_row)
