"""``leadline learn``: build the as-of training set, guard it, fit, compare, store the model.

One run: candidate features from the store (:mod:`catalog`), the training set
through the contract's compiled plan (:mod:`dataset`), the leakage guard on
the training rows (:mod:`guard`), then four models on the same split — the
contract's own ranking, naive-Bayes frequency tables, logistic regression and
gradient boosting — measured on the held-out rows (:mod:`evaluate`).  The
logistic regression is stored as a versioned artifact a contract can pin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from threadpoolctl import threadpool_limits

from leadline.learn import artifacts, dataset, guard
from leadline.learn.catalog import Catalog, CatalogOptions, discover
from leadline.learn.dataset import SetOptions, TrainingSet
from leadline.learn.evaluate import Metrics, evaluate
from leadline.learn.models import (
    BoostingModel,
    ContractModel,
    FrequencyTableModel,
    LogisticModel,
    queue_order,
)

if TYPE_CHECKING:
    from leadline.app import Leadline

CONTRACT = "contract (rule-based)"
NAIVE_BAYES = "naive Bayes (frequency tables)"
LOGISTIC = "logistic regression"
BOOSTING = "gradient boosting"


@dataclass(frozen=True)
class LearnOptions(SetOptions):
    allow: tuple[str, ...] = ()
    save: bool = True


@dataclass
class LearnReport:
    info: dict[str, Any]
    guard: guard.GuardReport
    metrics: dict[str, Metrics]
    verdict: dict[str, Any]
    features_offered: int
    features_used: int
    skipped: list[dict[str, str]] = field(default_factory=list)
    model: artifacts.ModelArtifact | None = None
    saved: bool = False
    top_features: list[dict[str, Any]] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """One row per model: the comparison table."""
        return [{"model": name, **m.to_dict(reliability=False)} for name, m in self.metrics.items()]

    def to_dict(self) -> dict[str, Any]:
        return {
            "training_set": self.info,
            "features": {
                "offered": self.features_offered,
                "used": self.features_used,
                "skipped": self.skipped,
            },
            "guard": self.guard.to_dict(),
            "models": {name: m.to_dict() for name, m in self.metrics.items()},
            "contract_mql_verdict": self.verdict,
            "model_artifact": None
            if self.model is None
            else {"version": self.model.version, "saved": self.saved},
            "top_features": self.top_features,
        }


def catalog_for(ll: Leadline) -> Catalog:
    timed = dataset.is_timed(ll.engine)
    lookback = float(ll.loaded.contract.behaviour.lookback_days)
    windows: tuple[float | None, ...] = (30.0, lookback) if timed else (None,)
    return discover(ll.engine, CatalogOptions(timed=timed, windows=windows, lookback_days=lookback))


def training_set(
    ll: Leadline, options: SetOptions, allow: tuple[str, ...] = ()
) -> tuple[Catalog, TrainingSet]:
    """Candidate features and the as-of training set (before the guard).

    ``allow`` (``--allow-feature``) is checked against the catalogue first, so
    a misspelt name fails before any scoring moment runs.
    """
    mode = dataset.label_mode(ll.engine, options.label)
    catalog = catalog_for(ll)
    if not catalog.features:
        raise dataset.LearnError("the store offers no features (import leads and activities)")
    guard.resolve_allowed(list(allow), {f.source for f in catalog.features})
    return catalog, dataset.build(ll.engine, ll.compiled, catalog.features, options, mode)


def _verdict(ts: TrainingSet) -> dict[str, Any]:
    """The contract's MQL verdict on the test rows: volume, precision, recall."""
    test = ts.test
    mql = ts.contract["qualifies_mql"][test] > 0.5
    y = ts.y[test]
    hits = int((mql & (y == 1)).sum())
    return {
        "test_rows": int(test.sum()),
        "mql_rows": int(mql.sum()),
        "mql_share": round(float(mql.mean()), 4) if len(y) else 0.0,
        "precision": round(hits / int(mql.sum()), 4) if mql.any() else None,
        "recall": round(hits / int(y.sum()), 4) if y.any() else None,
    }


def _top_features(ts: TrainingSet, model: LogisticModel, limit: int = 12) -> list[dict[str, Any]]:
    """The logistic model's strongest features (coefficient × spread on training rows)."""
    spread = ts.X[ts.train].std(axis=0)
    effect = model.coefficients * spread
    order = np.argsort(-np.abs(effect), kind="stable")[:limit]
    return [
        {
            "feature": ts.features[i].name,
            "coefficient": round(float(model.coefficients[i]), 4),
            "effect": round(float(effect[i]), 4),
        }
        for i in order
        if effect[i] != 0
    ]


def fit_and_compare(ts: TrainingSet, seed: int) -> tuple[dict[str, Metrics], LogisticModel]:
    """Every model on the same split, measured on the held-out rows.

    Fitting runs on one thread: the data is small, and OpenMP/BLAS threads
    fighting for busy cores made gradient boosting 4-10x slower here (and
    one thread keeps results identical from machine to machine).
    """
    with threadpool_limits(limits=1):
        return _fit_and_compare(ts, seed)


def _fit_and_compare(ts: TrainingSet, seed: int) -> tuple[dict[str, Metrics], LogisticModel]:
    train, test = ts.train, ts.test
    X, y = ts.X, ts.y
    tiebreak = ts.lead_ids[test]
    order = queue_order(ts.contract)
    contract = ContractModel.fit(order[train], y[train])
    results: dict[str, Metrics] = {
        CONTRACT: evaluate(y[test], contract.predict(order[test]), tiebreak, order[test])
    }
    nb = FrequencyTableModel.fit(X[train], y[train], ts.features)
    results[NAIVE_BAYES] = evaluate(y[test], nb.predict(X[test]), tiebreak)
    logistic = LogisticModel.fit(X[train], y[train], seed)
    results[LOGISTIC] = evaluate(y[test], logistic.predict(X[test]), tiebreak)
    boosting = BoostingModel.fit(X[train], y[train], seed)
    results[BOOSTING] = evaluate(y[test], boosting.predict(X[test]), tiebreak)
    return results, logistic


def learn(ll: Leadline, options: LearnOptions) -> LearnReport:
    """The whole ``leadline learn`` run (see the module docstring)."""
    catalog, full = training_set(ll, options, options.allow)
    found = guard.check(ll.engine, full, catalog, list(options.allow), seed=options.seed)
    keep = [i for i, f in enumerate(full.features) if f.source not in found.excluded]
    if not keep:
        raise dataset.LearnError("the leakage guard excluded every feature")
    ts = full.columns(keep)
    metrics, logistic = fit_and_compare(ts, options.seed)
    info = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in ts.info.items()}
    info["contract_version"] = ll.loaded.version
    report = LearnReport(
        info=info,
        guard=found,
        metrics=metrics,
        verdict=_verdict(ts),
        features_offered=len(full.features),
        features_used=len(ts.features),
        skipped=[
            {"source": s.source, "reason": s.reason, "detail": s.detail} for s in catalog.skipped
        ],
        top_features=_top_features(ts, logistic),
    )
    coefficients = [float(c) for c in logistic.coefficients]
    artifact = artifacts.ModelArtifact(
        version=artifacts.model_version(ts.features, logistic.intercept, coefficients),
        kind="logistic",
        target=str(ts.info["target"]),
        trained_at=datetime.now(UTC).replace(tzinfo=None, microsecond=0),
        data_from=ts.info["data_from"],
        data_to=ts.info["data_to"],
        contract_version=ll.loaded.version,
        features=tuple(ts.features),
        intercept=float(logistic.intercept),
        coefficients=tuple(coefficients),
        params={"C": logistic.C, "cv_log_loss": logistic.cv_log_loss, "seed": options.seed},
        metrics={name: m.to_dict() for name, m in metrics.items()},
        training={**info, "guard": found.to_dict()["findings"], "allowed": found.allowed},
    )
    report.model = artifact
    if options.save:
        report.saved = artifacts.save(ll.engine, artifact)
    return report
