"""How good a ranking of leads is, in the terms marketing and sales use.

For every model (and the contract's own score) on the same held-out rows:

* ROC AUC — how often a lead that converted is ranked above one that did not;
* PR AUC (average precision) — ranking quality where positives are rare;
* Brier score — mean squared error of the probability (lower is better);
* calibration — a reliability table (ten equal-width probability bins:
  leads, mean predicted, observed rate) and the expected calibration error
  (the bins' |observed − predicted|, weighted by their share of leads);
* top decile — the best-ranked 10 % of rows: their conversion rate over the
  base rate (lift) and the share of all conversions they hold (recall);
* accuracy at 0.5, for comparison with published results.

Ties in the ranking are broken by lead id, so every figure is deterministic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

BINS = 10


@dataclass(frozen=True)
class Metrics:
    rows: int
    positives: int
    base_rate: float
    roc_auc: float
    pr_auc: float
    brier: float
    ece: float
    accuracy: float
    top_decile_lift: float
    top_decile_recall: float
    reliability: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self, *, reliability: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rows": self.rows,
            "positives": self.positives,
            "base_rate": round(self.base_rate, 4),
            "roc_auc": round(self.roc_auc, 4),
            "pr_auc": round(self.pr_auc, 4),
            "brier": round(self.brier, 4),
            "ece": round(self.ece, 4),
            "accuracy": round(self.accuracy, 4),
            "top_decile_lift": round(self.top_decile_lift, 3),
            "top_decile_recall": round(self.top_decile_recall, 4),
        }
        if reliability:
            data["reliability"] = self.reliability
        return data


def reliability_table(y: np.ndarray, p: np.ndarray, bins: int = BINS) -> list[dict[str, Any]]:
    """Equal-width probability bins with at least one row: count, predicted, observed."""
    index = np.minimum((p * bins).astype(int), bins - 1)
    table: list[dict[str, Any]] = []
    for b in range(bins):
        mask = index == b
        n = int(mask.sum())
        if n == 0:
            continue
        table.append(
            {
                "bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}",
                "rows": n,
                "predicted": round(float(p[mask].mean()), 4),
                "observed": round(float(y[mask].mean()), 4),
            }
        )
    return table


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = BINS) -> float:
    index = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            total += mask.mean() * abs(float(y[mask].mean()) - float(p[mask].mean()))
    return total


def top_decile(y: np.ndarray, ranking: np.ndarray, tiebreak: np.ndarray) -> tuple[float, float]:
    """(lift, recall) of the best-ranked 10 % of rows (at least one row)."""
    order = np.lexsort((tiebreak, -ranking))
    k = max(1, math.ceil(0.1 * len(y)))
    top = y[order[:k]]
    positives = y.sum()
    base = y.mean()
    lift = float(top.mean() / base) if base > 0 else 0.0
    recall = float(top.sum() / positives) if positives > 0 else 0.0
    return lift, recall


def evaluate(
    y: np.ndarray, p: np.ndarray, tiebreak: np.ndarray, ranking: np.ndarray | None = None
) -> Metrics:
    """Every metric for probabilities ``p`` (``ranking`` orders rows when p alone ties more)."""
    y = y.astype(np.int64)
    p = np.clip(p.astype(np.float64), 0.0, 1.0)
    rank = p if ranking is None else ranking
    both = len(set(y.tolist())) == 2
    lift, recall = top_decile(y, rank, tiebreak.astype(str))
    return Metrics(
        rows=len(y),
        positives=int(y.sum()),
        base_rate=float(y.mean()) if len(y) else 0.0,
        roc_auc=float(roc_auc_score(y, rank)) if both else float("nan"),
        pr_auc=float(average_precision_score(y, rank)) if both else float("nan"),
        brier=float(np.mean((p - y) ** 2)),
        ece=float(expected_calibration_error(y, p)),
        accuracy=float(np.mean((p >= 0.5) == (y == 1))),
        top_decile_lift=lift,
        top_decile_recall=recall,
        reliability=reliability_table(y, p),
    )
