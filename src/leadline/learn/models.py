"""The models compared on every training set, all seeded and deterministic.

* :class:`LogisticModel` — L2-regularised logistic regression on standardised
  features, its strength chosen by seeded 3-fold cross-validation; the
  standardisation is folded back into the coefficients so that the model is
  ``intercept + Σ coefficient × feature`` on the features exactly as the SQL
  computes them.  It is the model a contract can pin (it compiles to SQL).
* :class:`BoostingModel` — scikit-learn's HistGradientBoostingClassifier: the
  strongest ranking here, but a forest of trees, so it is for comparison only.
* :class:`FrequencyTableModel` — naive Bayes over per-source frequency tables
  (conversions and non-conversions per field value / per bucket), the kind of
  "predictive lead scoring" open-source CRMs ship: the baseline to beat.
* :class:`ContractModel` — the contract's own judgement: its work-queue order
  (priority rank, then score), with a one-variable logistic fit on the
  training rows to turn that order into probabilities for Brier/calibration.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold

from leadline.scoring.model import Z_LIMIT, Feature

C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)
SPARSE_C_GRID = (0.03, 0.1, 0.3)  # L1 fits are slower; rule weights need less tuning


def sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -Z_LIMIT, Z_LIMIT)))
    return out


def _standardise(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    return mean, scale


@dataclass
class LogisticModel:
    """``p = sigmoid(intercept + X @ coefficients)`` on the raw (SQL-computed) features."""

    intercept: float = 0.0
    coefficients: np.ndarray = field(default_factory=lambda: np.zeros(0))
    C: float = 1.0
    cv_log_loss: dict[str, float] = field(default_factory=dict)
    name: str = "logistic regression"

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, seed: int, *, sparse: bool = False) -> LogisticModel:
        """Fit with the C that cross-validates best; ``sparse`` uses L1 (fewer, clearer rules)."""
        mean, scale = _standardise(X)
        Z = (X - mean) / scale

        def model(C: float) -> LogisticRegression:
            if sparse:
                return LogisticRegression(
                    C=C, l1_ratio=1.0, solver="liblinear", max_iter=5000, random_state=seed
                )
            return LogisticRegression(C=C, max_iter=5000)

        grid = SPARSE_C_GRID if sparse else C_GRID
        scores: dict[str, float] = {}
        folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=seed)
        for C in grid:
            losses = []
            for train, test in folds.split(Z, y):
                lr = model(C).fit(Z[train], y[train])
                losses.append(log_loss(y[test], lr.predict_proba(Z[test])[:, 1], labels=[0, 1]))
            scores[f"{C:g}"] = round(float(np.mean(losses)), 5)
        best = min(grid, key=lambda c: (scores[f"{c:g}"], c))
        lr = model(best).fit(Z, y)
        coef = lr.coef_[0] / scale
        intercept = float(lr.intercept_[0] - np.sum(lr.coef_[0] * mean / scale))
        return cls(intercept, coef, best, scores)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return sigmoid(self.intercept + X @ self.coefficients)


@dataclass
class BoostingModel:
    model: HistGradientBoostingClassifier
    name: str = "gradient boosting"

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, seed: int) -> BoostingModel:
        model = HistGradientBoostingClassifier(
            learning_rate=0.1,
            max_iter=200,
            max_leaf_nodes=31,
            l2_regularization=1.0,
            early_stopping=True,
            validation_fraction=0.15,
            n_iter_no_change=25,
            random_state=seed,
        )
        model.fit(X, y)
        return cls(model)

    def predict(self, X: np.ndarray) -> np.ndarray:
        p: np.ndarray = self.model.predict_proba(X)[:, 1]
        return p


def _edges(column: np.ndarray, buckets: int = 5) -> np.ndarray | None:
    """Training-quantile bucket edges, or None when few distinct values can stay as they are."""
    if len(np.unique(column)) <= buckets + 1:
        return None
    return np.unique(np.quantile(column, np.linspace(0, 1, buckets + 1)[1:-1]))


def _bucket(column: np.ndarray, edges: np.ndarray | None) -> np.ndarray:
    if edges is None:
        return column
    return np.searchsorted(edges, column, side="right").astype(np.float64)


@dataclass
class _SourceTable:
    """One source's frequency table: its training keys and their log likelihood ratios."""

    cols: list[int]
    edges: list[np.ndarray | None]
    keys: np.ndarray
    log_ratio: np.ndarray

    def keyed(self, X: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [_bucket(X[:, c], e) for c, e in zip(self.cols, self.edges, strict=True)]
        )

    def lookup(self, X: np.ndarray) -> np.ndarray:
        """Each row's log ratio; a key never seen in training counts 0 (no evidence)."""
        keys = self.keyed(X)
        joined, inverse = np.unique(np.vstack([self.keys, keys]), axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        table = np.zeros(len(joined))
        table[inverse[: len(self.keys)]] = self.log_ratio
        out: np.ndarray = table[inverse[len(self.keys) :]]
        return out


@dataclass
class FrequencyTableModel:
    """Naive Bayes: prior odds × Π over sources of P(value | converted) / P(value | not).

    A source (one field, one activity type...) is a single variable: its
    feature columns together are its value, and numbers are cut into
    training-quantile buckets, as a CRM's frequency table would.
    """

    prior: float = 0.0
    sources: list[_SourceTable] = field(default_factory=list)
    name: str = "naive Bayes (frequency tables)"

    @classmethod
    def fit(
        cls, X: np.ndarray, y: np.ndarray, features: list[Feature], alpha: float = 1.0
    ) -> FrequencyTableModel:
        groups: dict[str, list[int]] = {}
        for i, f in enumerate(features):
            groups.setdefault(f.source, []).append(i)
        pos = y == 1
        n_pos, n_neg = int(pos.sum()), int((~pos).sum())
        model = cls(prior=float(np.log((n_pos + alpha) / (n_neg + alpha))))
        for cols in groups.values():
            edges = [_edges(X[:, c]) for c in cols]
            keyed = np.column_stack([_bucket(X[:, c], e) for c, e in zip(cols, edges, strict=True)])
            keys, inverse = np.unique(keyed, axis=0, return_inverse=True)
            inverse = inverse.reshape(-1)
            a = np.bincount(inverse[pos], minlength=len(keys))
            b = np.bincount(inverse[~pos], minlength=len(keys))
            k = len(keys) + 1  # one more level for values never seen in training
            ratio = np.log((a + alpha) / (n_pos + alpha * k)) - np.log(
                (b + alpha) / (n_neg + alpha * k)
            )
            model.sources.append(_SourceTable(cols, edges, keys, ratio))
        return model

    def predict(self, X: np.ndarray) -> np.ndarray:
        z = np.full(len(X), self.prior)
        for source in self.sources:
            z += source.lookup(X)
        return sigmoid(z)


def queue_order(contract: dict[str, np.ndarray]) -> np.ndarray:
    """The contract's ranking as one number: better priority first, then higher score."""
    score = contract["score"]
    rank: np.ndarray = -contract["priority_rank"] + score / (1.0 + np.abs(score)) * 0.5
    return rank


@dataclass
class ContractModel:
    slope: float = 0.0
    intercept: float = 0.0
    name: str = "contract (rule-based)"

    @classmethod
    def fit(cls, order: np.ndarray, y: np.ndarray) -> ContractModel:
        lr = LogisticRegression(C=1e6, max_iter=1000).fit(order.reshape(-1, 1), y)
        return cls(float(lr.coef_[0][0]), float(lr.intercept_[0]))

    def predict(self, order: np.ndarray) -> np.ndarray:
        return sigmoid(self.intercept + self.slope * order)
