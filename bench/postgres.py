"""The same compiled plan on PostgreSQL and on DuckDB: batch and single-lead scoring.

One world (bench/data.py, generated in DuckDB) is copied into a throw-away
PostgreSQL cluster (the machine's initdb/pg_ctl, see tests/pg.py).  Then,
on each engine:

1. ``score_all`` for every lead (snapshots + parts), best of a few runs;
2. single-lead scoring as the real-time path does it (the lead-filtered
   snapshot query rendered once, then run per lead), median of many leads;

and the snapshots of both engines are compared lead by lead (they must
agree: same plan, transpiled by sqlglot).  The PostgreSQL world is capped at
the small scale: copying ten million rows through COPY would dominate the run.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

from common import SCALES, Check, Result, Scale, Timing, timed
from data import AS_OF, fill
from leadline.contract.compiler import CompiledContract, compile_contract
from leadline.contract.loader import contract_version
from leadline.scoring.run import score_all
from leadline.store import migrate
from leadline.store.base import Engine
from leadline.store.duckdb import DuckDBEngine
from leadline.store.postgres import PostgresEngine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests import pg

from scoring import COMPARED, load_contract

NAME = "postgres"
TABLES = ("accounts", "leads", "content", "activities")
SINGLE_LEADS = {"small": 10, "full": 60}  # one-lead calls timed (median)
SERVER = {"work_mem": "64MB", "shared_buffers": "256MB"}


def copy_table(src: DuckDBEngine, dst: PostgresEngine, table: str) -> int:
    rows = dst.copy_arrow(table, src.fetch_arrow(f"SELECT * FROM {table}"))
    dst.execute(f"ANALYZE {table}")
    return rows


def batch(engine: Engine, compiled: CompiledContract, repeat: int) -> tuple[float, int]:
    best, run_id = float("inf"), 0
    for _ in range(repeat):
        run_id = int(engine.scalar("SELECT nextval('seq_score_run')"))
        engine.execute(
            "INSERT INTO score_runs (run_id, as_of, contract_version, started_at) "
            "VALUES (?, ?, ?, ?)",
            [run_id, AS_OF, compiled.version, AS_OF],
        )
        seconds, _ = timed(lambda: score_all(engine, compiled, AS_OF, run_id))  # noqa: B023
        best = min(best, seconds)
    return best, run_id


def single(engine: Engine, compiled: CompiledContract, leads: list[str]) -> float:
    """Median seconds to score one lead with the pre-rendered lead-filtered query."""
    sql = engine.render(compiled.snapshot_query(lead_ids=True).order_by("lead_id"))
    engine.fetch(sql, {"as_of": AS_OF, "lead_ids": leads[:1]})  # warm
    times = []
    for lead in leads:
        start = time.perf_counter()
        engine.fetch(sql, {"as_of": AS_OF, "lead_ids": [lead]})
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def snapshots(engine: Engine, run_id: int) -> dict[str, dict[str, Any]]:
    cols = ", ".join(COMPARED)
    rows = engine.fetch_dicts(
        f"SELECT lead_id, {cols} FROM score_snapshots WHERE run_id = ?", [run_id]
    )
    return {str(r["lead_id"]): r for r in rows}


def disagreements(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]]) -> dict[str, int]:
    out = {"leads_only_in_one": len(set(a) ^ set(b))}
    for col in COMPARED:
        bad = 0
        for lead in set(a) & set(b):
            x, y = a[lead][col], b[lead][col]
            if isinstance(x, float) and isinstance(y, float):
                bad += abs(x - y) > 1e-6
            else:
                bad += x != y
        out[col] = bad
    return out


def run(scale: Scale, workdir: Path) -> Result:
    scale = scale if scale.leads <= SCALES["small"].leads else SCALES["small"]
    result = Result(NAME, scale)
    missing = pg.missing_reason()
    if missing:
        result.notes.append(f"not measured: {missing}")
        return result
    contract = load_contract()
    compiled = compile_contract(contract, contract_version(contract))
    path = workdir / f"bench-pg-{scale.name}.duckdb"
    path.unlink(missing_ok=True)
    duck = DuckDBEngine.at(path)
    migrate(duck)
    seconds, _ = timed(lambda: fill(duck, scale))
    result.timings.append(Timing("generate data in DuckDB", seconds, "not compared"))
    repeat = 1 if scale.name == "small" else 3  # small: a smoke run, one of each
    with pg.running_cluster(SERVER) as cluster, cluster.database() as url:
        engine = PostgresEngine.at(url)
        try:
            seconds, rows = timed(lambda: sum(copy_table(duck, engine, t) for t in TABLES))
            result.timings.append(
                Timing("copy the world into PostgreSQL", seconds, f"{rows:,} rows")
            )
            duck_s, duck_run = batch(duck, compiled, repeat)
            pg_s, pg_run = batch(engine, compiled, repeat)
            result.timings.append(Timing("DuckDB: score_all", duck_s, f"best of {repeat}"))
            result.timings.append(Timing("PostgreSQL: score_all", pg_s, f"best of {repeat}"))
            leads = [
                str(r[0])
                for r in duck.fetch(
                    "SELECT lead_id FROM leads WHERE merged_into IS NULL ORDER BY lead_id LIMIT ?",
                    [SINGLE_LEADS.get(scale.name, 60)],
                )
            ]
            duck_one, pg_one = single(duck, compiled, leads), single(engine, compiled, leads)
            result.timings.append(
                Timing("DuckDB: one lead, pre-rendered plan", duck_one, f"median of {len(leads)}")
            )
            result.timings.append(
                Timing("PostgreSQL: one lead, pre-rendered plan", pg_one, f"median of {len(leads)}")
            )
            diff = disagreements(snapshots(duck, duck_run), snapshots(engine, pg_run))
            result.facts["DuckDB vs PostgreSQL snapshot disagreements"] = diff
            result.facts["leads scored"] = int(
                engine.scalar("SELECT count(*) FROM score_snapshots WHERE run_id = ?", [pg_run])
            )
            result.facts["PostgreSQL server settings"] = SERVER
            result.facts["PostgreSQL / DuckDB, batch"] = round(pg_s / duck_s, 2)
            result.facts["PostgreSQL / DuckDB, one lead"] = round(pg_one / duck_one, 2)
            result.checks = [
                Check(
                    "leads on which the engines disagree",
                    float(sum(diff.values())),
                    "<=",
                    0,
                    "",
                ),
            ]
        finally:
            engine.close()
            duck.close()
    result.notes.append(
        "The ratio is reported, not targeted: PostgreSQL is there for many API workers, "
        "DuckDB for batch speed."
    )
    return result
