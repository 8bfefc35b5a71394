"""``leadline backtest``: replay a candidate contract and the current one over the same history.

Both contracts are compiled here (with any model they pin) and replayed on
one scratch copy of the store (:mod:`scratch`), step by step (:mod:`replay`),
then measured side by side (:mod:`metrics`).  With ``sweep`` the candidate's
MQL threshold is swept instead (:mod:`sweep`).  Nothing is written to the
workspace's store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from leadline.backtest import metrics, replay
from leadline.backtest import sweep as sweeping
from leadline.backtest.scratch import scratch_copy
from leadline.contract.compiler import CompiledContract, compile_contract
from leadline.contract.loader import LoadedContract
from leadline.errors import LeadlineError
from leadline.learn import artifacts
from leadline.lifecycle import auto

if TYPE_CHECKING:
    from leadline.app import Leadline

COMPARED = (
    "mql_moves",
    "mql_leads",
    "mqls_per_day",
    "mqls_per_rep_per_day",
    "peak_step_mqls",
    "peak_mqls_per_rep_per_day",
    "steps_over_capacity",
    "eventual_opportunities",
    "opportunities_caught",
    "recall_opportunities",
    "recall_pipeline",
    "recall_won_revenue",
    "won_revenue_caught",
    "mql_leads_to_pipeline",
    "precision_pipeline",
    "median_days_mql_before_opportunity",
)


class BacktestError(LeadlineError):
    exit_code = 2
    http_status = 422


@dataclass(frozen=True)
class BacktestOptions:
    start: datetime
    end: datetime
    step: str = "week"
    capacity: float | None = None
    reps: int | None = None
    limit: int = 20
    sweep: bool = False
    thresholds: tuple[float, ...] | None = None
    warmup_days: float = 0.0

    @property
    def replay_start(self) -> datetime:
        """Replays begin this early so the window does not open with a catch-up spike."""
        return self.start - timedelta(days=self.warmup_days)


def _compile(ll: Leadline, loaded: LoadedContract) -> CompiledContract:
    """Compile without registering anything: a backtest never writes to the store."""
    ll.check_contract(loaded)
    return compile_contract(
        loaded.contract, loaded.version, model=artifacts.spec_for(ll.engine, loaded)
    )


def _describe(loaded: LoadedContract) -> dict[str, Any]:
    return {"file": loaded.path, "contract": loaded.name, "version": loaded.version}


def _real_moves(ll: Leadline, options: BacktestOptions) -> tuple[Any, Any]:
    """The real window's people moves (carried over) and its MQL moves (for the check)."""
    params = {"start": options.replay_start, "end": options.end}
    people = ll.engine.fetch_arrow(
        "SELECT * FROM stage_history WHERE changed_at >= $start AND changed_at <= $end "
        "AND source NOT IN ('score', 'crm') ORDER BY changed_at, transition_id",
        params,
    )
    mqls = ll.engine.fetch_arrow(
        "SELECT lead_id, from_stage, to_stage, changed_at FROM stage_history "
        "WHERE changed_at >= $start AND changed_at <= $end AND source = 'score' "
        "AND to_stage = 'mql'",
        params,
    )
    return people, mqls


def backtest(
    ll: Leadline,
    candidate: LoadedContract,
    current: LoadedContract,
    options: BacktestOptions,
) -> dict[str, Any]:
    if options.end <= options.start:
        raise BacktestError(
            f"--to ({options.end:%Y-%m-%d}) must be after --from ({options.start:%Y-%m-%d})"
        )
    if options.step not in replay.STEPS:
        raise BacktestError(
            f"--step must be one of {', '.join(replay.STEPS)}, not {options.step!r}"
        )
    step = replay.STEPS[options.step]
    if options.warmup_days < 0:
        raise BacktestError("--warmup-days cannot be negative")
    moments = auto.schedule(options.replay_start, options.end, step)
    runs = [
        replay.ContractRun("current", current.contract, current.version, _compile(ll, current)),
        replay.ContractRun(
            "candidate", candidate.contract, candidate.version, _compile(ll, candidate)
        ),
    ]
    people, real_mqls = _real_moves(ll, options)
    window = {
        "from": options.start,
        "to": options.end,
        "step": options.step,
        "steps": len(moments),
        "replayed_from": options.replay_start,
    }
    described = {"current": _describe(current), "candidate": _describe(candidate)}
    with scratch_copy(ll.engine, options.replay_start, options.end) as scratch:
        replay.prepare(scratch)
        crew = metrics.team(
            scratch, candidate.contract, reps=options.reps, capacity=options.capacity
        )
        if options.sweep:
            thresholds = list(
                options.thresholds
                or sweeping.default_thresholds(candidate.contract.stages.mql.min_score)
            )
            curve = sweeping.sweep(
                scratch, runs[1].compiled, moments, thresholds, step, crew, start=options.start
            )
            return {"window": window, "contract": described["candidate"], **curve}
        replay.load_people_moves(scratch, people)
        scratch.register_arrow("_ll_real", real_mqls)
        try:
            scratch.execute("CREATE OR REPLACE TABLE _bt_real_mqls AS SELECT * FROM _ll_real")
        finally:
            scratch.unregister("_ll_real")
        for run in runs:
            replay.replay(scratch, run, moments)
        figures = {
            run.label: metrics.contract_metrics(
                scratch, run.label, options.start, options.end, step, crew, options.replay_start
            )
            for run in runs
        }
        compared = metrics.comparison(
            scratch,
            options.start,
            options.end,
            limit=options.limit,
            replay_start=options.replay_start,
        )
        check = metrics.history_check(scratch, options.start, options.end)
    rows = []
    for name in COMPARED:
        a, b = figures["current"][name], figures["candidate"][name]
        delta = None
        if isinstance(a, int | float) and isinstance(b, int | float):
            delta = round(b - a, 4)
        rows.append({"metric": name, "current": a, "candidate": b, "delta": delta})
    return {
        "window": window,
        "contracts": described,
        "team": crew.to_dict(),
        "metrics": rows,
        **compared,
        "history_check": check,
    }
