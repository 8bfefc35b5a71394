"""The training set: every lead's features as of the moment it was scored, and what followed.

Two kinds of data, two honest ways to build it:

* **history** (opportunities with dates): leads are scored at a series of
  moments T (every ``every_days`` between ``start`` and ``end``).  At each T
  the rows are the leads the contract's plan scores (created by T, not
  merged) that are not yet in pipeline, their features are computed by the
  same compiled plan **as of T** (one query per moment, nothing known later
  can enter), and the label is what happened in ``(T, T + horizon]``: an
  opportunity opened (``opportunity``), or one opened and won
  (``won``).  The split is by time: the last moments are the test set, and a
  training moment is used only if its label window closed before the first
  test moment, so no training label was unknown when the test begins.
* **converted** (a lead file with an outcome column and no times, like X
  Education): one moment (the time the file's facts were stated), the label
  is ``leads.converted``, and the split is a seeded stratified one.

The contract's own verdict (score, fit points, priority rank, MQL) comes
from the same query, so the rule-based score is judged on the same rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from leadline.contract.compiler import CompiledContract
from leadline.errors import LeadlineError
from leadline.scoring.model import Feature, feature_ctes
from leadline.scoring.plan import Plan
from leadline.store.base import Engine

Target = Literal["opportunity", "won"]
LabelMode = Literal["auto", "history", "converted"]
DEFAULT_HORIZON: dict[str, float] = {"opportunity": 90.0, "won": 180.0}
# The contract's verdict on each row, as numbers (1/0 for yes/no).
CONTRACT_SQL: dict[str, str] = {
    "score": "snap.score",
    "fit_points": "snap.fit_points",
    "priority_rank": "snap.priority_rank",
    "qualifies_mql": "CASE WHEN snap.qualifies_mql THEN 1 ELSE 0 END",
    "triggered": "CASE WHEN snap.trigger_rule IS NULL THEN 0 ELSE 1 END",
    "excluded": "CASE WHEN snap.excluded_reason IS NULL THEN 0 ELSE 1 END",
}
CONTRACT_COLUMNS = tuple(CONTRACT_SQL)
PREFIX = "_ll_learn"


class LearnError(LeadlineError):
    """The data cannot support what was asked (no outcomes, too little history...)."""

    exit_code = 2
    http_status = 422


@dataclass(frozen=True)
class SetOptions:
    target: Target = "opportunity"
    label: LabelMode = "auto"
    start: datetime | None = None
    end: datetime | None = None
    every_days: float = 14.0
    horizon_days: float | None = None
    as_of: datetime | None = None
    test_share: float = 0.3
    seed: int = 7

    @property
    def horizon(self) -> float:
        return self.horizon_days or DEFAULT_HORIZON[self.target]


@dataclass
class TrainingSet:
    """Rows are (lead, moment); columns are features, in ``features`` order."""

    features: list[Feature]
    X: np.ndarray
    y: np.ndarray
    lead_ids: np.ndarray
    as_of: np.ndarray
    test: np.ndarray
    contract: dict[str, np.ndarray]
    outcome_at: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def train(self) -> np.ndarray:
        return ~self.test

    def columns(self, keep: list[int]) -> TrainingSet:
        """The same rows with only the features at ``keep``."""
        return TrainingSet(
            [self.features[i] for i in keep],
            self.X[:, keep],
            self.y,
            self.lead_ids,
            self.as_of,
            self.test,
            self.contract,
            self.outcome_at,
            dict(self.info),
        )


def label_mode(engine: Engine, wanted: LabelMode) -> Literal["history", "converted"]:
    """``history`` when opportunities have dates, else ``converted`` when leads say so."""
    opps = int(
        engine.scalar(
            "SELECT count(*) FROM opportunities "
            "WHERE lead_id IS NOT NULL AND created_at IS NOT NULL"
        )
        or 0
    )
    converted = int(engine.scalar("SELECT count(converted) FROM leads") or 0)
    if wanted == "history" or (wanted == "auto" and opps >= 10):
        if opps < 10:
            raise LearnError(
                f"only {opps} opportunities are linked to leads and dated; "
                "learning from history needs opportunities (import them first)"
            )
        return "history"
    if converted < 10:
        raise LearnError(
            "no outcomes to learn from: import opportunities (with lead_id and created_at) "
            "or a leads file with a `converted` column"
        )
    return "converted"


def is_timed(engine: Engine) -> bool:
    """Whether activities happened at more than one moment (X Education's all share one)."""
    return int(engine.scalar("SELECT count(DISTINCT occurred_at) FROM activities") or 0) > 1


def data_range(engine: Engine) -> tuple[datetime | None, datetime | None]:
    """First and last moment anything happened (activities, leads, opportunities)."""
    row = engine.fetch(
        "SELECT least((SELECT min(occurred_at) FROM activities), "
        "(SELECT min(created_at) FROM leads)), "
        "greatest((SELECT max(occurred_at) FROM activities), "
        "(SELECT max(created_at) FROM opportunities), (SELECT max(closed_at) FROM opportunities))"
    )[0]
    return row[0], row[1]


def moments(engine: Engine, options: SetOptions) -> list[datetime]:
    """The scoring moments of a history training set."""
    first, last = data_range(engine)
    if first is None or last is None:
        raise LearnError("the store holds no activities or leads to learn from")
    start = options.start or first + timedelta(days=30)
    end = options.end or last - timedelta(days=options.horizon)
    if end < start:
        raise LearnError(
            f"not enough history: scoring moments from {start:%Y-%m-%d} to {end:%Y-%m-%d} "
            f"leave no room for a {options.horizon:g}-day outcome window (data ends "
            f"{last:%Y-%m-%d}); pass --horizon-days or --from/--to"
        )
    step = timedelta(days=options.every_days)
    count = int((end - start) / step) + 1
    return [start + step * i for i in range(count)]


def time_split(points: list[datetime], options: SetOptions) -> tuple[set[datetime], datetime]:
    """(training moments, first test moment); training labels close before testing starts."""
    if len(points) < 3:
        raise LearnError(
            f"a time-based split needs at least 3 scoring moments, got {len(points)}; "
            "use a smaller --every or a longer --from/--to range"
        )
    tests = max(1, round(options.test_share * len(points)))
    split_at = points[len(points) - tests]
    horizon = timedelta(days=options.horizon)
    train = {t for t in points if t + horizon <= split_at}
    if not train:
        raise LearnError(
            f"no training moment has its {options.horizon:g}-day outcome window closed by "
            f"{split_at:%Y-%m-%d} (the first test moment); use a shorter --horizon-days or "
            "more history"
        )
    return train, split_at


def _label_sql(mode: str, target: Target) -> tuple[str, str, str]:
    """(join, label expression, where) for the moment query."""
    if mode == "converted":
        return (
            " JOIN leads AS lab ON lab.lead_id = snap.lead_id",
            "CAST(lab.converted AS INTEGER)",
            "lab.converted IS NOT NULL",
        )
    outcome = (
        "min(o.created_at) FILTER (WHERE o.created_at > CAST($as_of AS TIMESTAMP) "
        "AND o.created_at <= CAST($label_end AS TIMESTAMP))"
    )
    if target == "won":
        outcome = (
            "min(o.closed_at) FILTER (WHERE o.created_at > CAST($as_of AS TIMESTAMP) "
            "AND o.stage = 'won' AND o.closed_at <= CAST($label_end AS TIMESTAMP))"
        )
    join = (
        " LEFT JOIN (SELECT coalesce(l.merged_into, o.lead_id) AS lead_id, "
        "min(o.created_at) FILTER (WHERE o.created_at <= CAST($as_of AS TIMESTAMP)) "
        "AS opened_before, "
        f"{outcome} AS outcome_at "
        "FROM opportunities AS o LEFT JOIN leads AS l ON l.lead_id = o.lead_id "
        "WHERE o.lead_id IS NOT NULL AND o.created_at IS NOT NULL GROUP BY 1) AS lab "
        "ON lab.lead_id = snap.lead_id"
    )
    return join, "CASE WHEN lab.outcome_at IS NULL THEN 0 ELSE 1 END", "lab.opened_before IS NULL"


@dataclass(frozen=True)
class MomentQueries:
    """What runs at each scoring moment: the contract's snapshot, the features, the rows.

    The contract's compiled snapshot query goes into a temp table exactly as a
    score run computes it, the features (the same plan's CTEs plus the
    feature CTEs) into another, and a last SELECT joins them with the label.
    (As one statement, DuckDB planned the three-way join around the shared
    CTE chain up to ten times slower than the three parts.)
    """

    snapshot: str
    features: str
    rows: str


def moment_queries(
    engine: Engine,
    compiled: CompiledContract,
    features: list[Feature],
    mode: str,
    target: Target,
    ctes: list[tuple[str, str]] | None = None,
) -> MomentQueries:
    """The moment's statements, rendered once for ``engine``.

    ``ctes`` replaces the feature CTEs (they must define ``_ll_learn_features``
    with ``lead_id`` and ``f_0`` … ``f_<n-1>``), for callers whose columns are
    other parts of the plan (``leadline suggest`` reads rule matches).
    """
    plan = compiled.plan(lead_ids=False)
    extra = ctes if ctes is not None else feature_ctes(features, PREFIX)
    body = f"SELECT * FROM {PREFIX}_features"
    feats = Plan((*plan.ctes, *extra), body, "").query(body)
    join, label, where = _label_sql(mode, target)
    outcome = "lab.outcome_at" if mode == "history" else "CAST(NULL AS TIMESTAMP)"
    cols = ", ".join(
        [
            "snap.lead_id",
            *(f"{sql} AS {c}" for c, sql in CONTRACT_SQL.items()),
            *(f"f.f_{i}" for i in range(len(features))),
            f"{label} AS label",
            f"{outcome} AS outcome_at",
        ]
    )
    rows = (
        f"SELECT {cols} FROM {PREFIX}_snap AS snap "
        f"JOIN {PREFIX}_feat AS f ON f.lead_id = snap.lead_id{join} "
        f"WHERE {where} ORDER BY snap.lead_id"
    )
    return MomentQueries(
        engine.render(compiled.snapshot_query()), engine.render(feats), engine.render(rows)
    )


def fetch_moment(engine: Engine, queries: MomentQueries, at: datetime, horizon: float) -> pa.Table:
    """Every row of one scoring moment (lead, verdict, features, label) as Arrow."""
    params = {"as_of": at, "label_end": at + timedelta(days=horizon)}
    try:
        engine.execute(f"CREATE OR REPLACE TEMP TABLE {PREFIX}_snap AS {queries.snapshot}", params)
        engine.execute(f"CREATE OR REPLACE TEMP TABLE {PREFIX}_feat AS {queries.features}", params)
        return engine.fetch_arrow(queries.rows, params)
    finally:
        engine.execute(f"DROP TABLE IF EXISTS {PREFIX}_snap")
        engine.execute(f"DROP TABLE IF EXISTS {PREFIX}_feat")


def _fetch(
    engine: Engine, queries: MomentQueries, at: datetime, horizon: float, width: int
) -> dict[str, np.ndarray]:
    table = fetch_moment(engine, queries, at, horizon)
    n = table.num_rows
    out: dict[str, np.ndarray] = {
        "lead_id": np.asarray(table.column("lead_id").to_pylist(), dtype=object),
        "label": table.column("label").to_numpy(zero_copy_only=False).astype(np.int8),
        "outcome_at": np.asarray(
            table.column("outcome_at").cast(pa.timestamp("us")).to_numpy(zero_copy_only=False),
            dtype="datetime64[us]",
        ),
        "X": np.empty((n, width), dtype=np.float64),
    }
    for c in CONTRACT_COLUMNS:
        out[c] = table.column(c).to_numpy(zero_copy_only=False).astype(np.float64)
    for i in range(width):
        out["X"][:, i] = table.column(f"f_{i}").to_numpy(zero_copy_only=False)
    return out


def build(
    engine: Engine,
    compiled: CompiledContract,
    features: list[Feature],
    options: SetOptions,
    mode: Literal["history", "converted"],
    *,
    ctes: list[tuple[str, str]] | None = None,
) -> TrainingSet:
    """Run the moment query at every scoring moment and split the rows."""
    # rendered once: the same statements run at every moment with other parameters
    query = moment_queries(engine, compiled, features, mode, options.target, ctes)
    if mode == "converted":
        at = options.as_of or _stated_time(engine)
        points = [at]
    else:
        points = moments(engine, options)
    chunks: list[dict[str, np.ndarray]] = []
    when: list[np.ndarray] = []
    for at in points:
        chunk = _fetch(engine, query, at, options.horizon, len(features))
        chunks.append(chunk)
        when.append(np.full(len(chunk["label"]), np.datetime64(at, "us")))
    data = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
    as_of = np.concatenate(when)
    info: dict[str, Any] = {
        "label": mode,
        "target": options.target if mode == "history" else "converted",
        "moments": len(points),
        "data_from": points[0],
        "data_to": points[-1],
    }
    if mode == "converted":
        test = _stratified(data["lead_id"], data["label"], options)
        info["split"] = (
            f"seeded stratified split (seed {options.seed}, test share {options.test_share:g}); "
            "the data has no times"
        )
        keep = np.ones(len(test), dtype=bool)
    else:
        train_moments, split_at = time_split(points, options)
        test = as_of >= np.datetime64(split_at, "us")
        trainable = np.isin(as_of, np.array(sorted(train_moments), dtype="datetime64[us]"))
        keep = test | trainable
        info["horizon_days"] = options.horizon
        info["every_days"] = options.every_days
        info["split"] = (
            f"by time: moments from {split_at:%Y-%m-%d} are the test set; training moments "
            f"end {max(train_moments):%Y-%m-%d}, so every training label ({options.horizon:g}-day "
            "window) was known before the test period"
        )
        info["split_at"] = split_at
        info["train_moments"] = len(train_moments)
        info["test_moments"] = sum(1 for t in points if t >= split_at)
    ts = TrainingSet(
        features=list(features),
        X=data["X"][keep],
        y=data["label"][keep].astype(np.int64),
        lead_ids=data["lead_id"][keep],
        as_of=as_of[keep],
        test=test[keep],
        contract={c: data[c][keep] for c in CONTRACT_COLUMNS},
        outcome_at=data["outcome_at"][keep],
        info=info,
    )
    for part, mask in (("train", ts.train), ("test", ts.test)):
        info[f"{part}_rows"] = int(mask.sum())
        info[f"{part}_positives"] = int(ts.y[mask].sum())
        info[f"{part}_leads"] = len(set(ts.lead_ids[mask].tolist()))
    if info["train_positives"] == 0 or info["test_positives"] == 0:
        raise LearnError(
            f"the split has {info['train_positives']} positive training rows and "
            f"{info['test_positives']} positive test rows; both need outcomes "
            "(more history, a longer horizon, or another target)"
        )
    return ts


def _stated_time(engine: Engine) -> datetime:
    """The moment a time-less file's facts were stated: its (single) activity time."""
    at = engine.scalar("SELECT max(occurred_at) FROM activities")
    if at is None:
        at = engine.scalar("SELECT max(created_at) FROM leads")
    if at is None:
        raise LearnError("pass --as-of: the store has no activity or lead times")
    return at  # type: ignore[no-any-return]


def _stratified(lead_ids: np.ndarray, y: np.ndarray, options: SetOptions) -> np.ndarray:
    """A seeded stratified test mask: the same seed always picks the same leads."""
    rng = np.random.default_rng(options.seed)
    test = np.zeros(len(y), dtype=bool)
    order = np.argsort(lead_ids.astype(str), kind="stable")
    for cls in (0, 1):
        rows = order[y[order] == cls]
        picked = rng.permutation(rows)[: math.ceil(options.test_share * len(rows))]
        test[picked] = True
    return test
