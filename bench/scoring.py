"""Batch scoring benchmark: leadline against its own floor and against pandas.

One run measures, on the same store:

1. the floor — a bare DuckDB decay-weighted ``sum(points * 0.5^(age/half_life))
   GROUP BY lead_id`` with a CASE on activity_type, materialised;
2. leadline end to end — ``compile_contract`` then ``score_all`` writing
   snapshots and explanations (score_parts) for every lead;
3. the same contract in pandas (bench/pandas_score.py), data loaded first,
   only the computation timed; its numbers are checked against leadline's;
4. the peak RSS of the process during the leadline run.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import yaml

import pandas_score
from common import GIB, Check, PeakRss, Result, Scale, Timing, timed
from data import AS_OF, fill
from leadline.contract.schema import Contract
from leadline.store import migrate
from leadline.store.duckdb import DuckDBEngine

NAME = "scoring"
CONTRACT = Path(__file__).resolve().parent / "contract.yaml"
FILL_MEMORY = "6GB"
TARGETS = {"leadline_over_floor": 3.0, "pandas_over_leadline": 3.0, "peak_gib": 2.0}
COMPARED = (
    "fit_points",
    "grade",
    "engagement",
    "intent",
    "score",
    "excluded_reason",
    "trigger_rule",
    "qualifies_mql",
)


def load_contract() -> Contract:
    return Contract.model_validate(yaml.safe_load(CONTRACT.read_text(encoding="utf-8")))


def floor_sql(contract: Contract) -> str:
    """The least work any decayed score needs: one CASE, one power, one GROUP BY."""
    b = contract.behaviour
    points: dict[str, float] = {}
    for rule in b.rules:
        for activity in rule.activities:
            points.setdefault(activity, rule.points)
    whens = " ".join(f"WHEN '{a}' THEN {p!r}" for a, p in points.items())
    as_of = f"TIMESTAMP '{AS_OF.isoformat(sep=' ')}'"
    return (
        "CREATE OR REPLACE TEMP TABLE bench_floor AS SELECT lead_id, "
        f"sum(points * power(0.5, age / {b.half_life_days!r})) AS score FROM ("
        f"SELECT lead_id, CASE activity_type {whens} ELSE 0.0 END AS points, "
        f"(epoch({as_of}) - epoch(occurred_at)) / 86400.0 AS age FROM activities "
        f"WHERE occurred_at <= {as_of}) AS a GROUP BY lead_id"
    )


def run_floor(engine: DuckDBEngine, contract: Contract, repeat: int) -> float:
    sql = floor_sql(contract)
    return min(timed(lambda: engine.execute(sql))[0] for _ in range(repeat))


def floor_once(engine: DuckDBEngine, contract: Contract) -> tuple[float, float]:
    """One floor run: ``(wall_s, process_cpu_s)``."""
    sql = floor_sql(contract)
    cpu = time.process_time()
    wall, _ = timed(lambda: engine.execute(sql))
    return wall, time.process_time() - cpu


def run_leadline(
    engine: DuckDBEngine,
    contract: Contract,
    *,
    materialize: bool = True,
    steps: dict[str, float] | None = None,
    cpu: list[float] | None = None,
) -> tuple[float, float, int]:
    """Compile and score every lead (snapshots + parts); ``(compile_s, score_s, run_id)``.

    ``steps`` collects each step's seconds (see ``score_all(step_seconds=…)``);
    ``cpu`` gets the process CPU seconds of ``score_all`` appended.
    Raises ImportError while the compiler or scoring runner is not there yet.
    """
    from leadline.contract.compiler import compile_contract
    from leadline.contract.loader import contract_version
    from leadline.scoring.run import score_all

    version = contract_version(contract)
    compile_s, compiled = timed(lambda: compile_contract(contract, version))
    run_id = int(engine.scalar("SELECT nextval('seq_score_run')"))
    engine.execute(
        "INSERT INTO score_runs (run_id, as_of, contract_version, started_at) VALUES (?, ?, ?, ?)",
        [run_id, AS_OF, version, AS_OF],
    )
    started = time.process_time()
    score_s, _ = timed(
        lambda: score_all(
            engine, compiled, AS_OF, run_id, materialize=materialize, step_seconds=steps
        )
    )
    if cpu is not None:
        cpu.append(time.process_time() - started)
    return compile_s, score_s, run_id


def run_pandas(engine: DuckDBEngine, contract: Contract) -> tuple[float, float, pd.DataFrame]:
    """``(load_s, compute_s, scores)``: the DataFrames are read first and not timed."""
    load_s, tables = timed(lambda: pandas_score.load(engine))
    compute_s, scores = timed(lambda: pandas_score.score(tables, contract, AS_OF))
    return load_s, compute_s, scores


def compare(engine: DuckDBEngine, run_id: int, ours: pd.DataFrame) -> dict[str, int]:
    """Leads on which pandas and leadline disagree, per column (all zeros = same semantics)."""
    cols = ", ".join(COMPARED)
    theirs = engine.fetch_arrow(
        f"SELECT lead_id, {cols} FROM score_snapshots WHERE run_id = ?", [run_id]
    ).to_pandas()
    both = theirs.merge(ours, on="lead_id", how="outer", suffixes=("_ll", "_pd"), indicator=True)
    out = {"leads_only_in_one": int((both["_merge"] != "both").sum())}
    both = both[both["_merge"] == "both"]
    for col in COMPARED:
        a, b = both[f"{col}_ll"], both[f"{col}_pd"]
        if col in ("fit_points", "engagement", "intent", "score"):
            bad = ~((a.astype(float) - b.astype(float)).abs() <= 1e-6)
        else:
            bad = a.fillna("∅").astype(str) != b.fillna("∅").astype(str)
        out[col] = int(bad.sum())
    return out


def run(scale: Scale, workdir: Path) -> Result:
    result = Result(NAME, scale)
    contract = load_contract()
    path = workdir / f"bench-{scale.name}.duckdb"
    path.unlink(missing_ok=True)
    # Generating 10M activities in one INSERT needs more than the store's default
    # memory cap (it is not part of any ratio); scoring reopens with the default.
    engine = DuckDBEngine.at(path, memory_limit=FILL_MEMORY)
    migrate(engine)
    seconds, _ = timed(lambda: fill(engine, scale))
    result.timings.append(Timing("generate data in DuckDB", seconds, "not part of any ratio"))
    engine.close()
    engine = DuckDBEngine.at(path)  # cold buffers, as a fresh scoring process would start
    repeat = 2

    leadline_s: float | None = None
    run_id: int | None = None
    meter = PeakRss()
    # Each leadline run is followed at once by a floor run, so both see the same
    # load on a shared machine; process CPU seconds are recorded as well.
    floors: list[tuple[float, float]] = []
    leadline_cpu: list[float] = []
    try:
        best_steps: dict[str, float] = {}
        with meter.measure():
            compile_s, leadline_s, run_id = run_leadline(
                engine, contract, steps=best_steps, cpu=leadline_cpu
            )
        floors.append(floor_once(engine, contract))
        result.timings.append(Timing("leadline compile_contract", compile_s))
        result.timings.append(
            Timing(
                "leadline score_all (snapshots + parts)",
                leadline_s,
                "end to end, explanations written",
            )
        )
        for _ in range(repeat - 1):
            steps: dict[str, float] = {}
            _, again, _ = run_leadline(engine, contract, steps=steps, cpu=leadline_cpu)
            floors.append(floor_once(engine, contract))
            if again < leadline_s:
                leadline_s, best_steps = again, steps
        result.timings[-1].seconds = leadline_s
        # where the best run's time went, step by step (the rest is the commit)
        result.facts["score_all steps of the best run (s)"] = {
            name: round(sec, 3) for name, sec in best_steps.items()
        }
        _, inline_s, _ = run_leadline(engine, contract, materialize=False)
        result.timings.append(
            Timing(
                "leadline score_all(materialize=False)",
                inline_s,
                "each INSERT runs the whole CTE chain (for comparison)",
            )
        )
    except ImportError as err:
        result.notes.append(f"leadline scoring not measured: {err}")

    while len(floors) < repeat:  # leadline could not run
        floors.append(floor_once(engine, contract))
    floor_s = min(wall for wall, _ in floors)
    result.timings.append(
        Timing(
            "floor: bare DuckDB decayed GROUP BY",
            floor_s,
            f"best of {repeat}, each right after a leadline run",
        )
    )
    if leadline_cpu:
        floor_cpu = min(c for _, c in floors)
        result.facts["process CPU seconds: leadline score_all / floor (best of each)"] = (
            f"{min(leadline_cpu):.2f} / {floor_cpu:.2f} = {min(leadline_cpu) / floor_cpu:.2f}×"
        )

    load_s, pandas_s, ours = run_pandas(engine, contract)
    result.timings.append(Timing("pandas: read tables into DataFrames", load_s, "not timed"))
    result.timings.append(Timing("pandas: same contract", pandas_s, "computation only"))

    if run_id is not None:
        result.facts["pandas vs leadline disagreements"] = compare(engine, run_id, ours)
        result.facts["leads scored"] = int(
            engine.scalar("SELECT count(*) FROM score_snapshots WHERE run_id = ?", [run_id])
        )
        result.facts["score parts written"] = int(
            engine.scalar("SELECT count(*) FROM score_parts WHERE run_id = ?", [run_id])
        )
        result.facts["MQLs"] = int(
            engine.scalar(
                "SELECT count(*) FROM score_snapshots WHERE run_id = ? AND qualifies_mql", [run_id]
            )
        )
        result.facts["peak RSS at start of leadline run (GiB)"] = round(meter.start_rss / GIB, 3)
    engine.close()

    peak = meter.peak / GIB if leadline_s is not None else None
    result.checks = [
        Check(
            "leadline / floor",
            leadline_s / floor_s if leadline_s else None,
            "<=",
            TARGETS["leadline_over_floor"],
        ),
        Check(
            "pandas / leadline",
            pandas_s / leadline_s if leadline_s else None,
            ">=",
            TARGETS["pandas_over_leadline"],
        ),
        Check("peak RSS during leadline run", peak, "<", TARGETS["peak_gib"], " GiB"),
    ]
    return result
